import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { LAB, Lab, type LabProcess, newPrefix } from '../harness.js';
import type { KmAcquire, KmSpec } from './acquire-key-manager.js';
import { EspritNode, requireScenarioSystem, saBySpi, statusNumber, stopAll } from './esprit-node.js';
import { KEYS, tunnelPair } from './setkey-config.js';
import { ping } from './traffic.js';

// Scenario: ACQUIRE end to end (RFC 2367 §3.1.6, RFC 4301 §5.1 step 3a). The gw is keyed with
// `esprit setkey -f` as usual; the client gets only its SPD, and a key manager
// (acquire-key-manager.ts) REGISTERs on its PF_KEY socket. A single ping's echo request hits
// the out policy with no SA: ipsecd holds it and sends SADB_ACQUIRE; the key manager ADDs the
// two SAs; the held request leaves as ESP-in-UDP through the NAT and the reply comes back.
//
//   client 10.99.4.1 ── esp0 ── ipsecd ─UDP 4500→NAT(random port)─ ipsecd(gw) ── esp0 ── 10.99.3.1
//                                 ^ PF_KEY: REGISTER / ACQUIRE / ADD
//                          acquire-key-manager
const skip = requireScenarioSystem();
const K = KEYS[0];
const KM = fileURLToPath(new URL('./acquire-key-manager.js', import.meta.url));

let lab: Lab | undefined;
const nodes: EspritNode[] = [];
let km: LabProcess | undefined;

before(async () => {
  if (skip) return;
  lab = await Lab.create({ prefix: `${newPrefix()}acq-`, natPorts: 'random' });
});

after(async () => {
  km?.kill('SIGTERM');
  await stopAll(nodes);
  await lab?.destroy();
});

test('ACQUIRE: a ping with no SA is held, the key manager ADDs the SAs on ACQUIRE, the echo request is released and answered', {
  skip,
}, async () => {
  assert.ok(lab && K, 'lab was not created');
  const l = lab;
  const [client, gw] = await Promise.all([
    EspritNode.start(l, 'client', { routes: ['10.99.3.0/24'] }),
    EspritNode.start(l, 'gw', { routes: [`${LAB.client.lan4}/32`] }),
  ]);
  nodes.push(client, gw);
  const cfg = tunnelPair({
    keys: K,
    client: LAB.client.v4,
    gw: LAB.gw.v4,
    clientSeenByGw: LAB.natWan.v4,
    clientPort: 4500,
    gwPort: 4500,
    framing: 'rfc3948',
    behindNat: true,
    selectors: [[`${LAB.client.lan4}/32`, '10.99.3.0/24']],
  });
  await gw.setkey(cfg.gw);
  // the client: policies only (docs/setkey.md grammar), no SAs
  const tunnel = `${LAB.client.v4}-${LAB.gw.v4}`;
  const back = `${LAB.gw.v4}-${LAB.client.v4}`;
  await client.setkey(
    [
      'flush ;',
      'spdflush ;',
      `spdadd ${LAB.client.lan4}/32 10.99.3.0/24 any -P out ipsec esp/tunnel/${tunnel}/require ;`,
      `spdadd 10.99.3.0/24 ${LAB.client.lan4}/32 any -P in ipsec esp/tunnel/${back}/require ;`,
      '',
    ].join('\n'),
    'spd-only.conf',
  );
  assert.equal((await client.sas()).length, 0, 'the client starts without SAs');

  const spec: KmSpec = {
    local: LAB.client.v4,
    localPort: 4500,
    remote: LAB.gw.v4,
    remotePort: 4500,
    replay: 64,
    // the client is behind the NAT: keepalives on its outbound SA (esprit flag 0x00010000), no float
    out: { spi: K.clientToGw.spi, key: K.clientToGw.key, flags: 0x0001_0000 },
    in: { spi: K.gwToClient.spi, key: K.gwToClient.key, flags: 0 },
  };
  const manager = l.spawn('client', [
    process.execPath,
    KM,
    '--socket',
    client.pfkeySocket,
    '--spec',
    JSON.stringify(spec),
  ]);
  km = manager;
  await manager.waitForLine(/^registered$/, 10_000);

  const p = await ping(l, 'client', LAB.client.lan4, LAB.gw.protected4, { count: 1, waitS: 5 });
  assert.equal(
    p.received,
    1,
    `the single echo request was answered:\n${p.output}\nkey manager: ${manager.lines.join('\n')}${manager.stderr}`,
  );
  await manager.waitForLine(/^installed$/, 5_000);

  // exactly one ACQUIRE, kernel-originated (pid 0), for the tunnel endpoints of the out policy
  const acquires = manager.lines
    .filter((x) => x.startsWith('acquire '))
    .map((x) => JSON.parse(x.slice('acquire '.length)) as KmAcquire);
  assert.equal(acquires.length, 1, manager.lines.join('\n'));
  const a = acquires[0] as KmAcquire;
  assert.equal(a.src, LAB.client.v4);
  assert.equal(a.dst, LAB.gw.v4);
  assert.equal(a.pid, 0);
  assert.notEqual(a.seq, 0);
  assert.deepEqual(a.extensions, ['ADDRESS_SRC', 'ADDRESS_DST', 'X_POLICY', 'PROPOSAL']);
  assert.equal(a.policyId & 7, 1, 'the id of an out policy (xfrm direction 1)');

  // status: the echo request was held, then released; the SAs carried it
  const st = await client.status();
  assert.equal(statusNumber(st, 'held'), 1, JSON.stringify(st));
  assert.equal(statusNumber(st, 'released'), 1, JSON.stringify(st));
  assert.equal(statusNumber(st, 'acquire.sent'), 1, JSON.stringify(st));
  const sas = await client.sas();
  assert.ok((saBySpi(sas, K.clientToGw.spi)?.packets ?? 0) >= 1, JSON.stringify(sas));
  assert.ok((saBySpi(sas, K.gwToClient.spi)?.packets ?? 0) >= 1, JSON.stringify(sas));
  const text = await client.statusText();
  assert.match(text, /\bheld=1\b/);
  assert.match(text, /\breleased=1\b/);
  assert.match(text, /acquire\.sent 1/);
});
