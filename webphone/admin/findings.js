// The doctor's findings in the page's language. English is the server's
// own sentence (the same words as its log); Uzbek and Russian are built
// here from the finding's fields, by its code.
import { getLang } from './i18n.js';

const ruTimes = (n) => (n % 10 >= 2 && n % 10 <= 4 && (n % 100 < 10 || n % 100 >= 20) ? 'раза' : 'раз');

const W = {
  uz: {
    times: (n) => `, ${n} marta`, from: (s) => ` (${s} manzilidan)`,
    age: (m) => (m < 120 ? `${m} daqiqa` : m < 2880 ? `${Math.floor(m / 60)} soat` : `${Math.floor(m / 1440)} kun`),
    wrong_password: "noto'g'ri parol{times}{from}{ua}: telefonda qayta kiriting yoki bu yerda yangisini qo'ying",
    unknown_extension: "noma'lum raqam {ext}{times}{from}{ua}: bunday raqam yo'q; telefondagi foydalanuvchi nomini tekshiring",
    credential_expired: "veb-telefonga kirish muddati tugagan{times}{from}{ua}: veb-telefonni qayta oching",
    username_mismatch: 'avtorizatsiya nomi raqamga mos emas{times}{from}{ua}: telefonda login sifatida raqamni kiriting',
    foreign_domain: "telefon boshqa domenni ko'rsatmoqda{times}{from}{ua}: domen sifatida shu server manzilini kiriting",
    interval_too_brief: "ro'yxatdan o'tish oralig'i juda qisqa{times}{from}{ua}: telefonda uni oshiring",
    challenge_unanswered: "server parol so'radi, lekin javob kelmadi{times}{from}{ua}: telefon server javoblarini olmayotgan bo'lishi mumkin (NAT, fayrvol yoki telefonda yoqilgan STUN)",
    silent: "{age} davomida serverga hech qanday so'rov kelmadi: telefondagi server manzilini, DNS va fayrvolni tekshiring",
    never_seen: "serverga hali hech qanday so'rov kelmadi: telefondagi server manzilini, DNS va fayrvolni tekshiring",
    registered_udp: "{source} manzilidan UDP orqali ro'yxatdan o'tgan{ua}",
    registered_ws: "veb-telefondan ({source}) WebSocket orqali ro'yxatdan o'tgan{ua}",
    banned: '{n} ta muvaffaqiyatsiz urinishdan keyin {until} gacha bloklangan{from}',
  },
  ru: {
    times: (n) => `, ${n} ${ruTimes(n)}`, from: (s) => ` с ${s}`,
    age: (m) => (m < 120 ? `${m} мин` : m < 2880 ? `${Math.floor(m / 60)} ч` : `${Math.floor(m / 1440)} дн`),
    wrong_password: 'неверный пароль{times}{from}{ua}: введите его на телефоне заново или задайте новый здесь',
    unknown_extension: 'неизвестный номер {ext}{times}{from}{ua}: такого номера здесь нет; проверьте имя пользователя на телефоне',
    credential_expired: 'истёк вход веб-телефона{times}{from}{ua}: откройте веб-телефон заново',
    username_mismatch: 'имя для авторизации не совпадает с номером{times}{from}{ua}: укажите номер как логин на телефоне',
    foreign_domain: 'телефон указывает чужой домен{times}{from}{ua}: укажите домен — адрес этого сервера',
    interval_too_brief: 'слишком короткий интервал регистрации{times}{from}{ua}: увеличьте его на телефоне',
    challenge_unanswered: 'сервер запросил пароль, но ответа нет{times}{from}{ua}: возможно, телефон не получает ответы сервера (NAT, файрвол или включённый в телефоне STUN)',
    silent: 'уже {age} ни один запрос не доходит до сервера: проверьте адрес сервера в телефоне, DNS и файрвол',
    never_seen: 'ни один запрос ещё не дошёл до сервера: проверьте адрес сервера в телефоне, DNS и файрвол',
    registered_udp: 'зарегистрирован с {source} по UDP{ua}',
    registered_ws: 'зарегистрирован с веб-телефона {source} по WebSocket{ua}',
    banned: 'заблокирован до {until} после {n} неудачных попыток{from}',
  },
};

function hhmm(unix) {
  const d = new Date(unix * 1000);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

/** @f (a finding from the API) as a sentence in the page's language. */
export function findingText(f) {
  const w = W[getLang()];
  let key = f.code;
  if (f.code === 'registered') key = f.transport === 'udp' ? 'registered_udp' : 'registered_ws';
  if (!w || !w[key]) return f.text;
  const vars = {
    times: f.code !== 'banned' && f.count > 1 ? w.times(f.count) : '',
    from: f.source && f.code !== 'registered' ? w.from(f.source) : '',
    ua: f.userAgent ? ` (${f.userAgent})` : '',
    ext: f.extension ?? '', source: f.source ?? '', n: f.count,
    until: f.until ? hhmm(f.until) : '',
    age: w.age(Math.floor((Date.now() / 1000 - (f.at ?? 0)) / 60)),
  };
  return w[key].replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ''));
}
