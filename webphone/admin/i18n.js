// Strings of the admin page: Uzbek (default), Russian, English.
// Elements carry data-i18n="key" (text), data-i18n-label="key"
// (aria-label) or data-i18n-placeholder="key"; apply() fills them.

export const LANGS = { uz: "O'zbekcha", ru: 'Русский', en: 'English' };

const S = {
  en: {
    title: 'Ovoz administration', language: 'Language',
    signInTitle: 'Sign in', token: 'Admin token', signIn: 'Sign in', signOut: 'Sign out',
    badToken: 'Wrong admin token.', netError: 'The server did not answer.',
    tabExtensions: 'Extensions', tabCalls: 'Live calls', tabLog: 'Call log', tabDoctor: 'Doctor', tabPhone: 'Phone',
    extension: 'Extension', displayName: 'Display name', password: 'Password', newPassword: 'New password (leave empty to keep)',
    srtpLabel: 'Encrypted audio (SRTP) to its softphones: for phones set to "SRTP: mandatory"',
    hint488: '488: the phone refused the audio offer. No common codec, or it requires SRTP: turn on "Encrypted audio" for its extension.',
    create: 'Create', save: 'Save', cancel: 'Cancel', edit: 'Edit', del: 'Delete', doctor: 'Doctor', settings: 'Softphone settings',
    state: 'State', where: 'Registered at', userAgent: 'User-Agent', lastAttempt: 'Last attempt', actions: 'Actions',
    online: 'online', offline: 'offline', webPhone: 'web phone', never: 'never',
    createTitle: 'New extension', editTitle: 'Edit extension {ext}', confirmDelete: 'Delete extension {ext}?',
    created: 'Extension {ext} created.', saved: 'Extension {ext} saved.', deleted: 'Extension {ext} deleted.',
    noExtensions: 'No extensions yet.', refresh: 'Refresh',
    liveTitle: 'Calls now', noCalls: 'No calls right now.', caller: 'Caller', callee: 'Callee', duration: 'Duration',
    started: 'Started', media: 'Media', ringing: 'ringing', answered: 'answered', oneWay: 'one-way audio',
    packets: 'packets', loss: 'loss', rxTx: 'received {rx}, sent {tx} packets', jitter: 'jitter {ms} ms', note: 'Why / note',
    logTitle: 'Call log', from: 'From', to: 'To', disposition: 'Result', any: 'any', filter: 'Filter',
    exportCsv: 'Export CSV', prev: 'Previous', next: 'Next', page: '{a}–{b} of {n}', noLog: 'No calls match.',
    d_answered: 'answered', d_busy: 'busy', 'd_no-answer': 'no answer', d_cancelled: 'cancelled', d_failed: 'failed',
    doctorTitle: 'Registration doctor', doctorFor: 'Extension to examine', examine: 'Examine',
    serverWide: 'Whole server', nothingFound: 'Nothing wrong found.', doctorOf: 'Findings for {ext}',
    phoneTitle: 'Web phone', phoneAs: 'Sign in as', openPhone: 'Open phone', phoneFrame: 'Web phone for {ext}',
    phoneNote: 'The phone signs in with a temporary credential valid for one hour; no password is shown.',
    settingsTitle: 'Softphone settings for {ext}', server: 'Server / domain', port: 'Port', transport: 'Transport',
    username: 'User name / auth user', stun: 'STUN', off: 'off', copy: 'Copy', copied: 'Copied.',
    pwNote: "Password: the extension's password (set it with Edit if unknown).",
    qr: 'QR code with these settings', close: 'Close',
    microsip: 'MicroSIP: Account → SIP server and Domain = server:port, Username and Login = extension, Transport UDP; Settings → STUN off.',
    portsip: 'PortSIP: User name and Auth name = extension, SIP Domain and Server = server, port above, Transport UDP, STUN off.',
    zoiper: 'Zoiper: Username = extension@server:port, password, then "Skip" the outbound proxy; Transport UDP, STUN disabled.',
    error: 'Error: {msg}',
  },
  ru: {
    title: 'Управление Ovoz', language: 'Язык',
    signInTitle: 'Вход', token: 'Токен администратора', signIn: 'Войти', signOut: 'Выйти',
    badToken: 'Неверный токен администратора.', netError: 'Сервер не ответил.',
    tabExtensions: 'Номера', tabCalls: 'Текущие звонки', tabLog: 'Журнал звонков', tabDoctor: 'Диагностика', tabPhone: 'Телефон',
    extension: 'Номер', displayName: 'Имя', password: 'Пароль', newPassword: 'Новый пароль (пусто — не менять)',
    srtpLabel: 'Шифрованный звук (SRTP) для его софтфонов: для телефонов с «SRTP: обязательно»',
    hint488: '488: телефон отклонил аудио. Нет общего кодека или он требует SRTP: включите «Шифрованный звук» у его номера.',
    create: 'Создать', save: 'Сохранить', cancel: 'Отмена', edit: 'Изменить', del: 'Удалить', doctor: 'Диагностика', settings: 'Настройки софтфона',
    state: 'Состояние', where: 'Где зарегистрирован', userAgent: 'User-Agent', lastAttempt: 'Последняя попытка', actions: 'Действия',
    online: 'в сети', offline: 'не в сети', webPhone: 'веб-телефон', never: 'никогда',
    createTitle: 'Новый номер', editTitle: 'Изменить номер {ext}', confirmDelete: 'Удалить номер {ext}?',
    created: 'Номер {ext} создан.', saved: 'Номер {ext} сохранён.', deleted: 'Номер {ext} удалён.',
    noExtensions: 'Номеров пока нет.', refresh: 'Обновить',
    liveTitle: 'Звонки сейчас', noCalls: 'Сейчас звонков нет.', caller: 'Кто звонит', callee: 'Кому', duration: 'Длительность',
    started: 'Начало', media: 'Медиа', ringing: 'звонит', answered: 'разговор', oneWay: 'звук в одну сторону',
    packets: 'пакетов', loss: 'потери', rxTx: 'получено {rx}, отправлено {tx} пакетов', jitter: 'джиттер {ms} мс', note: 'Причина / заметка',
    logTitle: 'Журнал звонков', from: 'С', to: 'По', disposition: 'Итог', any: 'любой', filter: 'Показать',
    exportCsv: 'Выгрузить CSV', prev: 'Назад', next: 'Вперёд', page: '{a}–{b} из {n}', noLog: 'Нет подходящих звонков.',
    d_answered: 'отвечен', d_busy: 'занято', 'd_no-answer': 'нет ответа', d_cancelled: 'отменён', d_failed: 'ошибка',
    doctorTitle: 'Диагностика регистрации', doctorFor: 'Какой номер проверить', examine: 'Проверить',
    serverWide: 'Весь сервер', nothingFound: 'Проблем не найдено.', doctorOf: 'Находки для {ext}',
    phoneTitle: 'Веб-телефон', phoneAs: 'Войти как', openPhone: 'Открыть телефон', phoneFrame: 'Веб-телефон номера {ext}',
    phoneNote: 'Телефон входит по временным данным на один час; пароль не показывается.',
    settingsTitle: 'Настройки софтфона для {ext}', server: 'Сервер / домен', port: 'Порт', transport: 'Транспорт',
    username: 'Имя пользователя / логин', stun: 'STUN', off: 'выключен', copy: 'Копировать', copied: 'Скопировано.',
    pwNote: 'Пароль: пароль номера (если неизвестен, задайте новый через «Изменить»).',
    qr: 'QR-код с этими настройками', close: 'Закрыть',
    microsip: 'MicroSIP: Учётная запись → SIP-сервер и Домен = сервер:порт, Пользователь и Логин = номер, транспорт UDP; Настройки → STUN выключить.',
    portsip: 'PortSIP: User name и Auth name = номер, SIP Domain и Server = сервер, порт выше, транспорт UDP, STUN выключен.',
    zoiper: 'Zoiper: Username = номер@сервер:порт, пароль, прокси пропустить («Skip»); транспорт UDP, STUN выключен.',
    error: 'Ошибка: {msg}',
  },
  uz: {
    title: 'Ovoz boshqaruvi', language: 'Til',
    signInTitle: 'Kirish', token: 'Administrator tokeni', signIn: 'Kirish', signOut: 'Chiqish',
    badToken: "Administrator tokeni noto'g'ri.", netError: 'Server javob bermadi.',
    tabExtensions: 'Raqamlar', tabCalls: "Joriy qo'ng'iroqlar", tabLog: "Qo'ng'iroqlar jurnali", tabDoctor: 'Tashxis', tabPhone: 'Telefon',
    extension: 'Raqam', displayName: 'Ism', password: 'Parol', newPassword: "Yangi parol (bo'sh qolsa o'zgarmaydi)",
    srtpLabel: "Uning softfonlariga shifrlangan ovoz (SRTP): «SRTP: majburiy» sozlangan telefonlar uchun",
    hint488: "488: telefon ovoz taklifini rad etdi. Umumiy kodek yo'q yoki u SRTP talab qiladi: raqamida «Shifrlangan ovoz»ni yoqing.",
    create: 'Yaratish', save: 'Saqlash', cancel: 'Bekor qilish', edit: 'Tahrirlash', del: "O'chirish", doctor: 'Tashxis', settings: 'Softfon sozlamalari',
    state: 'Holat', where: "Qayerdan ro'yxatdan o'tgan", userAgent: 'User-Agent', lastAttempt: 'Oxirgi urinish', actions: 'Amallar',
    online: 'tarmoqda', offline: 'tarmoqda emas', webPhone: 'veb-telefon', never: 'hech qachon',
    createTitle: 'Yangi raqam', editTitle: '{ext} raqamini tahrirlash', confirmDelete: "{ext} raqami o'chirilsinmi?",
    created: '{ext} raqami yaratildi.', saved: '{ext} raqami saqlandi.', deleted: "{ext} raqami o'chirildi.",
    noExtensions: "Hozircha raqamlar yo'q.", refresh: 'Yangilash',
    liveTitle: "Hozirgi qo'ng'iroqlar", noCalls: "Hozir qo'ng'iroq yo'q.", caller: "Qo'ng'iroq qiluvchi", callee: 'Kimga', duration: 'Davomiyligi',
    started: 'Boshlangan', media: 'Media', ringing: 'jiringlamoqda', answered: 'suhbat', oneWay: 'ovoz bir tomonlama',
    packets: 'paket', loss: "yo'qotish", rxTx: '{rx} paket qabul qilindi, {tx} yuborildi', jitter: 'jitter {ms} ms', note: 'Sabab / izoh',
    logTitle: "Qo'ng'iroqlar jurnali", from: 'Dan', to: 'Gacha', disposition: 'Natija', any: 'har qanday', filter: "Ko'rsatish",
    exportCsv: 'CSV yuklab olish', prev: 'Oldingi', next: 'Keyingi', page: '{a}–{b} / {n}', noLog: "Mos qo'ng'iroq yo'q.",
    d_answered: 'javob berilgan', d_busy: 'band', 'd_no-answer': "javob yo'q", d_cancelled: 'bekor qilingan', d_failed: 'xato',
    doctorTitle: "Ro'yxatdan o'tish tashxisi", doctorFor: 'Tekshiriladigan raqam', examine: 'Tekshirish',
    serverWide: 'Butun server', nothingFound: 'Muammo topilmadi.', doctorOf: '{ext} uchun topilganlar',
    phoneTitle: 'Veb-telefon', phoneAs: 'Qaysi raqam bilan kirish', openPhone: 'Telefonni ochish', phoneFrame: '{ext} raqamining veb-telefoni',
    phoneNote: "Telefon bir soatlik vaqtinchalik ma'lumot bilan kiradi; parol ko'rsatilmaydi.",
    settingsTitle: '{ext} uchun softfon sozlamalari', server: 'Server / domen', port: 'Port', transport: 'Transport',
    username: 'Foydalanuvchi nomi / login', stun: 'STUN', off: "o'chiq", copy: 'Nusxalash', copied: 'Nusxalandi.',
    pwNote: "Parol: raqamning paroli (noma'lum bo'lsa, «Tahrirlash» orqali yangisini qo'ying).",
    qr: 'Shu sozlamalar bilan QR-kod', close: 'Yopish',
    microsip: "MicroSIP: Hisob → SIP server va Domen = server:port, Foydalanuvchi va Login = raqam, transport UDP; Sozlamalar → STUN o'chiq.",
    portsip: "PortSIP: User name va Auth name = raqam, SIP Domain va Server = server, yuqoridagi port, transport UDP, STUN o'chiq.",
    zoiper: "Zoiper: Username = raqam@server:port, parol, proksini o'tkazib yuboring («Skip»); transport UDP, STUN o'chiq.",
    error: 'Xato: {msg}',
  },
};

let lang = 'uz';

/** Pick the language: the saved choice, else Uzbek. */
export function initLang() {
  const saved = localStorage.getItem('ovoz-admin-lang');
  lang = S[saved] ? saved : 'uz';
  return lang;
}

export function getLang() { return lang; }

export function setLang(l) {
  if (!S[l]) return;
  lang = l;
  localStorage.setItem('ovoz-admin-lang', l);
  apply(document);
}

/** The string @key in the current language, with {name} filled from @vars. */
export function t(key, vars = {}) {
  const s = S[lang][key] ?? S.en[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ''));
}

/** Fill every data-i18n* element under @root. */
export function apply(root) {
  document.documentElement.lang = lang;
  document.title = t('title');
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-label]')) el.setAttribute('aria-label', t(el.dataset.i18nLabel));
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
  document.dispatchEvent(new CustomEvent('langchange'));
}
