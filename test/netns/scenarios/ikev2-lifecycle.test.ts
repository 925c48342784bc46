import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { LAB, run } from '../harness.js';
import { requireScenarioSystem } from './esprit-node.js';
import { IkeHost } from './ike-host.js';
import { clientConf, gwConf } from './ikev2-configs.js';
import { useLab } from './scenario.js';
import { ping, waitForPing } from './traffic.js';

// esprit <-> esprit IKEv2 through the lab NAT (masquerade, random ports):
//  - a wrong PSK, an unknown identity and a proposal mismatch fail with the right notify, in
//    `esprit up`'s exit and in `esprit monitor --json`
//  - NAT rebinding: the NAT's conntrack table is flushed mid-flow; traffic continues and the
//    gateway's list-sas shows the new port for the IKE SA and the CHILD SA
//  - tshark decrypts esprit's IKEv2 messages with the keys `esprit.save_keys` wrote
//  - SIGTERM sends a Delete (the gateway drops the SAs); a gateway killed with SIGKILL
//    restarts on the same run directory and serves again
const skip = requireScenarioSystem();
const scenario = useLab('ike2lc-', { skip });

async function monitorLines(h: IkeHost, run: () => Promise<void>): Promise<{ kind: string; notify?: string }[]> {
  const mon = h.monitor();
  await new Promise((r) => setTimeout(r, 300));
  await run();
  await new Promise((r) => setTimeout(r, 300));
  mon.kill('SIGTERM');
  await mon.exited;
  return mon.lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { kind: string; notify?: string });
}

test('wrong PSK, unknown ID, proposal mismatch: `up` exits 1 with the notify, monitor reports auth-failed', {
  skip,
}, async () => {
  const l = scenario.lab;
  const cases = [
    {
      name: 'wrong PSK',
      gw: gwConf(),
      client: clientConf({ secret: 'not the lab psk' }),
      notify: 'AUTHENTICATION_FAILED',
    },
    {
      name: 'unknown ID',
      gw: gwConf({ remoteId: 'client.esprit.test' }),
      client: clientConf({ localId: 'stranger.esprit.test' }),
      notify: 'AUTHENTICATION_FAILED',
    },
    {
      name: 'proposal mismatch',
      gw: gwConf({ proposals: 'aes256gcm16-prfsha384-ecp384' }),
      client: clientConf({ proposals: 'aes128-sha256-modp2048' }),
      notify: 'NO_PROPOSAL_CHOSEN',
    },
  ];
  for (const c of cases) {
    const gw = await IkeHost.start(l, 'gw', c.gw);
    const client = await IkeHost.start(l, 'client', c.client);
    try {
      let up = { code: 0, stdout: '', stderr: '' };
      const events = await monitorLines(client, async () => {
        up = await client.up('home');
      });
      assert.equal(up.code, 1, `${c.name}: up must fail`);
      assert.match(up.stderr, new RegExp(`${c.notify} from ${LAB.gw.v4.replace(/\./g, '\\.')}`), c.name);
      assert.ok(
        events.some((e) => e.kind === 'auth-failed' && e.notify === c.notify),
        `${c.name}: monitor saw ${JSON.stringify(events)}`,
      );
      assert.deepEqual(await gw.listSas(), [], `${c.name}: nothing established on the gateway`);
    } finally {
      await client.stop();
      await gw.stop();
    }
  }
});

test('NAT rebinding mid-flow: traffic continues, the gateway follows the new port with the IKE SA and the CHILD SA', {
  skip,
}, async () => {
  const l = scenario.lab;
  const gw = await IkeHost.start(l, 'gw', gwConf());
  const client = await IkeHost.start(l, 'client', clientConf());
  try {
    assert.equal((await client.up('home')).code, 0);
    const vip = (await client.listSas())[0]?.vipsLocal[0] ?? '';
    await waitForPing(l, 'client', vip, LAB.gw.protected4);
    const before = (await gw.listSas())[0];
    assert.ok(before);
    await l.flushConntrack();
    // The next packets leave the NAT from a new random port; the gateway follows them.
    const p = await ping(l, 'client', vip, LAB.gw.protected4, { count: 5 });
    assert.ok(p.received >= 4, `traffic continues after the rebinding: ${p.output}`);
    let after = (await gw.listSas())[0];
    for (let i = 0; i < 20 && after?.remote.port === before.remote.port; i++) {
      await new Promise((r) => setTimeout(r, 250));
      after = (await gw.listSas())[0];
    }
    assert.ok(after);
    assert.notEqual(after.remote.port, before.remote.port, 'the IKE SA moved to the new port');
    assert.equal(after.children[0]?.encapPorts?.remote, after.remote.port, 'the CHILD SA moved with it');
    const q = await ping(l, 'client', vip, LAB.gw.protected4, { count: 3 });
    assert.equal(q.received, 3, q.output);
  } finally {
    await client.stop();
    await gw.stop();
  }
});

test('tshark decrypts IKE_AUTH with the keys esprit.save_keys wrote (Wireshark ikev2_decryption_table)', {
  skip,
}, async () => {
  const l = scenario.lab;
  const keys = mkdtempSync(join(l.tmp, 'keys-'));
  const cap = await l.capture('gw', 'eth0', 'udp');
  const gw = await IkeHost.start(l, 'gw', gwConf({ saveKeys: keys, proposals: 'aes256-sha256-modp2048' }));
  const client = await IkeHost.start(l, 'client', clientConf({ proposals: 'aes256-sha256-modp2048' }));
  try {
    assert.equal((await client.up('home')).code, 0);
  } finally {
    await client.stop();
    await gw.stop();
  }
  const pcap = await cap.stop();
  const row = readFileSync(join(keys, 'ikev2_decryption_table'), 'utf8').trim().split('\n')[0] ?? '';
  // The row as written: buffers as bare hex, algorithm names quoted (Wireshark's UAT syntax).
  assert.match(
    row,
    /^[0-9a-f]{16},[0-9a-f]{16},[0-9a-f]+,[0-9a-f]+,"AES-CBC-256 \[RFC3602\]",[0-9a-f]+,[0-9a-f]+,"HMAC_SHA2_256_128 \[RFC4868\]"$/,
  );
  const uat = `uat:ikev2_decryption_table:${row}`;
  const r = await run(['tshark', '-n', '-r', pcap, '-o', uat, '-Y', 'isakmp.exchangetype == 35', '-V'], {
    timeoutMs: 60_000,
  });
  assert.match(r.stdout, /Identification - Initiator/, 'IDi visible after decryption');
  assert.match(r.stdout, /client\.esprit\.test/);
  assert.match(r.stdout, /Configuration/, 'the CP payload is visible');
});

test('SIGTERM deletes the SAs at the peer; a gateway killed with SIGKILL restarts on the same run directory', {
  skip,
}, async () => {
  const l = scenario.lab;
  const gw = await IkeHost.start(l, 'gw', gwConf());
  const client = await IkeHost.start(l, 'client', clientConf());
  try {
    assert.equal((await client.up('home')).code, 0);
    assert.equal((await gw.listSas()).length, 1);
    const exit = await client.stop('SIGTERM');
    assert.equal(exit.code, 0, 'clean exit on SIGTERM');
    let n = 1;
    for (let i = 0; i < 20 && n > 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      n = (await gw.listSas()).length;
    }
    assert.equal(n, 0, 'the Delete reached the gateway');
    await gw.stop('SIGKILL');
    await gw.restart();
    await client.restart();
    const up = await client.up('home');
    assert.equal(up.code, 0, `after the restart: ${up.stderr}\n${gw.proc.stderr}`);
    const vip = (await client.listSas())[0]?.vipsLocal[0] ?? '';
    await waitForPing(l, 'client', vip, LAB.gw.protected4);
  } finally {
    await client.stop();
    await gw.stop();
  }
});

test('DPD: the client is killed with SIGKILL; the gateway finds it dead and frees its virtual IP', {
  skip,
}, async () => {
  const l = scenario.lab;
  const gw = await IkeHost.start(l, 'gw', gwConf({ dpdDelay: '2s', retransmit: { timeout: 1, tries: 2 } }));
  const client = await IkeHost.start(l, 'client', clientConf());
  try {
    assert.equal((await client.up('home')).code, 0);
    assert.deepEqual((await gw.listSas())[0]?.vipsRemote, ['10.99.100.1']);
    await client.stop('SIGKILL');
    // dpd_delay 2 s, then 1 + 1.8 + 3.24 s of retransmissions
    let sas = await gw.listSas();
    for (let i = 0; i < 150 && sas.length > 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      sas = await gw.listSas();
    }
    assert.deepEqual(sas, [], 'the gateway removed the dead peer');
    const st = JSON.parse((await gw.cli(['status', '--json'])).stdout) as { sas: unknown[] };
    assert.equal(st.sas.length, 0, 'and its SAs in the data plane');
    // The lease is free: a new client identity would get it; the same one gets it back.
    await client.restart();
    assert.equal((await client.up('home')).code, 0);
    assert.deepEqual((await client.listSas())[0]?.vipsLocal, ['10.99.100.1']);
  } finally {
    await client.stop();
    await gw.stop();
  }
});
