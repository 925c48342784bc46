import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { LAB } from '../harness.js';
import { requireScenarioSystem } from './esprit-node.js';
import { IkeHost } from './ike-host.js';
import { clientConf, gwConf } from './ikev2-configs.js';
import { useLab } from './scenario.js';
import { StrongSwanHost } from './strongswan-host.js';
import { iperf3, ping, waitForPing } from './traffic.js';

// IKEv2 interop with strongSwan 5.9.8 (kernel-libipsec) through the lab NAT (masquerade with
// random ports), both roles, PSK and a virtual IP from the gateway's pool:
//  1. strongSwan road warrior -> esprit gateway (the gateway config of ikev2-esprit.test.ts)
//  2. esprit road warrior -> strongSwan gateway (the same swanctl.conf keys on both sides)
const skip = requireScenarioSystem(['/usr/lib/ipsec/charon', 'swanctl', 'iperf3']);
const scenario = useLab('ike2ss-', { skip });

// The lab's client and gateway configs, IKEv2 only for charon (esprit speaks nothing else).
const SS_CLIENT = clientConf().replace('home {', 'home {\n    version = 2');

test('strongSwan road warrior behind the NAT -> esprit gateway: PSK, virtual IP, ping and iperf3 through the tunnel', {
  skip,
}, async () => {
  const l = scenario.lab;
  const keys = mkdtempSync(join(l.tmp, 'keys-'));
  const gw = await IkeHost.start(l, 'gw', gwConf({ saveKeys: keys }));
  // ike = 4: charon logs SK_* (keymat_v2.c), the independent check of esprit's derivation
  const ss = await StrongSwanHost.start(l, 'client', SS_CLIENT, {}, 4);
  try {
    const r = await ss.initiate('net', 'home');
    assert.equal(
      r.code,
      0,
      `swanctl --initiate failed:\n${r.stdout}${r.stderr}\n--- charon ---\n${ss.log()}\n--- esprit ---\n${gw.proc.stderr}`,
    );
    const [gs] = await gw.listSas();
    assert.ok(gs, 'the esprit gateway lists the IKE SA');
    assert.equal(gs.state, 'established');
    assert.equal(gs.remoteBehindNat, true);
    assert.equal(gs.remote.address, LAB.natWan.v4);
    assert.equal(gs.remoteId, 'client.esprit.test');
    assert.deepEqual(gs.vipsRemote, ['10.99.100.1']);
    assert.ok(/10\.99\.100\.1/.test(await ss.listSas()), 'strongSwan got the virtual IP');
    await waitForPing(l, 'client', '10.99.100.1', LAB.gw.protected4);
    const p = await ping(l, 'client', '10.99.100.1', LAB.gw.protected4, { count: 5 });
    assert.equal(p.received, 5, p.output);
    const perf = await iperf3(l, {
      clientRole: 'client',
      serverRole: 'gw',
      serverAddress: LAB.gw.protected4,
      bindAddress: '10.99.100.1',
      seconds: 3,
    });
    assert.ok(perf.bytesReceived > 1_000_000, `iperf3 moved ${perf.bytesReceived} bytes`);
    const [after] = await gw.listSas();
    assert.ok((after?.children[0]?.packetsIn ?? 0) > 100, 'the gateway counted the tunnel traffic');
    // SKEYSEED and prf+ (RFC 7296 §2.13-§2.14) as strongSwan derived them: esprit's
    // save_keys row (SPIi, SPIr, SK_ei, SK_er, "encr", SK_ai, SK_ar, "integ") against charon's log.
    const row = readFileSync(join(keys, 'ikev2_decryption_table'), 'utf8').trim().split(',');
    assert.ok((row[2] ?? '').length >= 32, 'a real key in the row');
    assert.equal(row[2], ss.loggedSecret('Sk_ei'), 'SK_ei');
    assert.equal(row[3], ss.loggedSecret('Sk_er'), 'SK_er');
    assert.equal(row[5] || undefined, ss.loggedSecret('Sk_ai') || undefined, 'SK_ai');
    assert.equal(row[6] || undefined, ss.loggedSecret('Sk_ar') || undefined, 'SK_ar');
  } finally {
    await ss.stop();
    await gw.stop();
  }
});

const SS_GW = gwConf().replace('rw {', 'rw {\n    version = 2');

test('esprit road warrior behind the NAT -> strongSwan gateway: PSK, virtual IP, ping and iperf3 through the tunnel', {
  skip,
}, async () => {
  const l = scenario.lab;
  const ss = await StrongSwanHost.start(l, 'gw', SS_GW);
  const client = await IkeHost.start(l, 'client', clientConf());
  try {
    const up = await client.up('home');
    assert.equal(
      up.code,
      0,
      `esprit up failed: ${up.stderr}\n--- esprit ---\n${client.proc.stderr}\n--- charon ---\n${ss.log()}`,
    );
    const [cs] = await client.listSas();
    assert.ok(cs);
    assert.equal(cs.localBehindNat, true);
    assert.equal(cs.local.port, 4500);
    assert.equal(cs.remoteId, 'gw.esprit.test');
    const vip = cs.vipsLocal[0] ?? '';
    assert.ok(vip.startsWith('10.99.100.'), `virtual IP from strongSwan's pool: ${vip}`);
    const sas = await ss.listSas();
    assert.match(sas, /ESTABLISHED/);
    assert.match(sas, /client\.esprit\.test/);
    await waitForPing(l, 'client', vip, LAB.gw.protected4);
    const p = await ping(l, 'client', vip, LAB.gw.protected4, { count: 5 });
    assert.equal(p.received, 5, p.output);
    const perf = await iperf3(l, {
      clientRole: 'client',
      serverRole: 'gw',
      serverAddress: LAB.gw.protected4,
      bindAddress: vip,
      seconds: 3,
    });
    assert.ok(perf.bytesReceived > 1_000_000, `iperf3 moved ${perf.bytesReceived} bytes`);
  } finally {
    await client.stop();
    await ss.stop();
  }
});
