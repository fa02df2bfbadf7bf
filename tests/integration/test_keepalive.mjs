// NAT keep-alive: Ovoz pings UDP contacts with OPTIONS and drops the ones
// that stop answering (from memory and from sqlite).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { startOvoz, stopClean, HOST, tempDir, waitFor } from './lib/ovoz.mjs';
import { UdpPeer, registerWithAuth } from './lib/sip.mjs';
import { reply } from './lib/ua.mjs';
import { sqlite } from './lib/util.mjs';

let o;
before(async () => {
  const dir = tempDir();
  writeFileSync(path.join(dir, 'ovoz.ini'), '[sip]\nkeepalive_interval = 1\nkeepalive_max_missed = 2\n');
  o = await startOvoz({ dir, extraArgs: ['--config', path.join(dir, 'ovoz.ini')] });
  for (const e of ['1001', '1002'])
    assert.equal((await o.api('POST', '/api/extensions', { extension: e, password: `secret${e}` })).status, 201);
});
after(async () => { await stopClean(o, assert); o.cleanup(); });

async function register(user) {
  const p = await UdpPeer.open();
  const r = await registerWithAuth(p, (m) => p.send(o.udpPort, m), {
    user, password: `secret${user}`, viaHost: HOST, viaPort: p.port, contact: `<sip:${user}@${HOST}:${p.port}>` });
  assert.equal(r.final.status, 200);
  return p;
}

test('a phone that answers OPTIONS stays; a silent one is dropped', async () => {
  const alive = await register('1001');
  const silent = await register('1002');
  assert.equal(sqlite(o.db, "SELECT count(*) AS n FROM locations WHERE extension='1002'")[0].n, 1);
  let pings = 0;
  let stop = false;
  const answering = (async () => {
    while (!stop) {
      const m = await alive.recv(300);
      if (m && m.method === 'OPTIONS') {
        pings++;
        assert.match(m.start, new RegExp(`^OPTIONS sip:1001@127\\.0\\.0\\.1:${alive.port} SIP/2\\.0`));
        await alive.send(o.udpPort, reply(m, 200, 'OK'));
      }
    }
  })();
  // The silent phone gets pinged too (its NAT binding is kept open)...
  const ping = await silent.recv(2500);
  assert.equal(ping?.method, 'OPTIONS');
  // ...and after 2 unanswered pings it is gone, from the API and from sqlite.
  await waitFor(async () => !(await o.api('GET', '/api/extensions/1002/status')).json.registered, 8000, '1002 dropped');
  await waitFor(() => sqlite(o.db, "SELECT count(*) AS n FROM locations WHERE extension='1002'")[0].n === 0, 3000, 'row gone');
  assert.equal((await o.api('GET', '/api/extensions/1001/status')).json.registered, true);
  stop = true;
  await answering;
  assert.ok(pings >= 2, `answered ${pings} pings`);
  assert.match(o.logs, /1002: contact sip:1002@127\.0\.0\.1:\d+ stopped answering 2 pings, dropped/);
  const m = await o.api('GET', '/metrics');
  assert.match(m.text, /^ovoz_keepalive_dropped_total 1$/m);
  alive.close(); silent.close();
});
