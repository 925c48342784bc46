import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LAB } from '../harness.js';
import { requireScenarioSystem } from './esprit-node.js';
import { IkeHost } from './ike-host.js';
import { clientConf, gwConf } from './ikev2-configs.js';
import { useLab } from './scenario.js';
import { StrongSwanHost } from './strongswan-host.js';
import { waitForPing } from './traffic.js';

// Dead peer detection against strongSwan 5.9.8 through the lab NAT (issue 8, system test 2),
// esprit the survivor in both roles; charon is killed with SIGKILL, so no Delete is sent.
//  1. esprit gateway, strongSwan client: after dpd_delay (2 s) of silence the gateway sends an
//     empty INFORMATIONAL (RFC 7296 §2.4), retransmits it on the schedule (1 s, base 1.8,
//     2 tries: 1 + 1.8 + 3.24 s), then removes the IKE SA and CHILD SA (IKE and data plane)
//     and frees the client's virtual IP: the pool's only address goes to another identity.
//  2. esprit client, strongSwan gateway: the same schedule on the client, which removes its
//     SAs and takes the virtual IP and its route off its TUN.
// The poll below waits up to 30 s (well past dpd_delay + the schedule, 8 s); what proves the
// schedule is the monitor's sequence: exactly `tries` retransmissions of the INFORMATIONAL
// request, then ike-down with the DPD reason (no timed assertion).
const skip = requireScenarioSystem(['/usr/lib/ipsec/charon', 'swanctl']);
const scenario = useLab('ike2dpd-', { skip });

const DPD = { dpdDelay: '2s', retransmit: { timeout: 1, tries: 2 } };
const v2 = (conf: string, name: string): string => conf.replace(`${name} {`, `${name} {\n    version = 2`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Ev {
  kind: string;
  reason?: string;
  exchange?: string;
  attempt?: number;
}

const events = (lines: readonly string[]): Ev[] =>
  lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Ev);

/** Poll until `probe` says done, every 200 ms for up to 30 s; returns the last answer. */
async function until<T>(probe: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
  let v = await probe();
  for (let i = 0; i < 150 && !done(v); i++) {
    await sleep(200);
    v = await probe();
  }
  return v;
}

/** The monitor saw DPD declare the peer dead: `tries` retransmits of INFORMATIONAL, then ike-down. */
function assertDpdSequence(evs: Ev[], tries: number): void {
  const retr = evs.filter((e) => e.kind === 'retransmit');
  assert.deepEqual(
    retr.map((e) => [e.exchange, e.attempt]),
    Array.from({ length: tries }, (_, i) => ['INFORMATIONAL', i + 1]),
    `retransmissions of the liveness check: ${JSON.stringify(evs)}`,
  );
  const down = evs.filter((e) => e.kind === 'ike-down');
  assert.deepEqual(
    down.map((e) => e.reason),
    ['DPD: peer did not answer liveness checks'],
    JSON.stringify(evs),
  );
  assert.ok(evs.indexOf(down[0] as Ev) > evs.indexOf(retr[retr.length - 1] as Ev), 'ike-down after the last retry');
}

test('DPD, esprit gateway: a strongSwan client killed with SIGKILL is found dead, its SAs removed, its virtual IP free', {
  skip,
}, async () => {
  const l = scenario.lab;
  // A pool of one address: another identity can only get it once the dead client's lease is released.
  const gw = await IkeHost.start(
    l,
    'gw',
    gwConf(DPD).replace('addrs = 10.99.100.0/28', 'addrs = 10.99.100.9-10.99.100.9'),
    {},
    'info',
  );
  const ss = await StrongSwanHost.start(l, 'client', v2(clientConf(), 'home'));
  let other: IkeHost | undefined;
  try {
    const r = await ss.initiate('net', 'home');
    assert.equal(r.code, 0, `${r.stdout}${r.stderr}\n${ss.log()}`);
    assert.deepEqual((await gw.listSas())[0]?.vipsRemote, ['10.99.100.9']);
    await waitForPing(l, 'client', '10.99.100.9', LAB.gw.protected4);
    const mon = gw.monitor();
    await sleep(300);
    await ss.kill();
    const sas = await until(
      () => gw.listSas(),
      (s) => s.length === 0,
    );
    assert.deepEqual(sas, [], `the gateway removed the dead peer\n${gw.proc.stderr.slice(-3000)}`);
    const st = JSON.parse((await gw.cli(['status', '--json'])).stdout) as { sas: unknown[] };
    assert.equal(st.sas.length, 0, 'and its SAs in the data plane');
    mon.kill('SIGTERM');
    await mon.exited;
    assertDpdSequence(events(mon.lines), DPD.retransmit.tries);
    // The lease is free: a client with another identity gets the pool's only address.
    other = await IkeHost.start(l, 'client', clientConf({ localId: 'other.esprit.test' }), {}, 'info');
    const up = await other.up('home');
    assert.equal(up.code, 0, `${up.stderr}\n${gw.proc.stderr.slice(-2000)}`);
    assert.deepEqual((await other.listSas())[0]?.vipsLocal, ['10.99.100.9'], 'the freed address, to a new identity');
    assert.deepEqual((await gw.listSas())[0]?.remoteId, 'other.esprit.test');
  } finally {
    await other?.stop();
    await ss.stop();
    await gw.stop();
  }
});

test('DPD, esprit client: a strongSwan gateway killed with SIGKILL is found dead; the client removes its SAs and virtual IP', {
  skip,
}, async () => {
  const l = scenario.lab;
  const ss = await StrongSwanHost.start(l, 'gw', v2(gwConf(), 'rw'));
  const conf = clientConf().replace('home {', 'home {\n    dpd_delay = 2s');
  const client = await IkeHost.start(
    l,
    'client',
    `${conf}\nesprit {\n  retransmit_timeout = ${DPD.retransmit.timeout}\n  retransmit_tries = ${DPD.retransmit.tries}\n}\n`,
    {},
    'info',
  );
  try {
    assert.equal((await client.up('home')).code, 0, ss.log());
    const vip = (await client.listSas())[0]?.vipsLocal[0] ?? '';
    assert.match(vip, /^10\.99\.100\.\d+$/);
    await waitForPing(l, 'client', vip, LAB.gw.protected4);
    const tunAddrs = async () => (await l.exec('client', ['ip', '-o', 'addr', 'show', 'dev', 'esp0'])).stdout;
    const tunRoutes = async () => (await l.exec('client', ['ip', 'route', 'show', 'dev', 'esp0'])).stdout;
    assert.match(await tunAddrs(), new RegExp(`inet ${vip.replace(/\./g, '\\.')}/32`), 'the virtual IP on the TUN');
    assert.match(await tunRoutes(), /10\.99\.3\.0\/24/, 'the route into the tunnel');
    const mon = client.monitor();
    await sleep(300);
    await ss.kill();
    const sas = await until(
      () => client.listSas(),
      (s) => s.length === 0,
    );
    assert.deepEqual(sas, [], `the client removed the dead gateway's SAs\n${client.proc.stderr.slice(-3000)}`);
    const st = JSON.parse((await client.cli(['status', '--json'])).stdout) as { sas: unknown[] };
    assert.equal(st.sas.length, 0, 'and its SAs in the data plane');
    mon.kill('SIGTERM');
    await mon.exited;
    assertDpdSequence(events(mon.lines), DPD.retransmit.tries);
    assert.doesNotMatch(await tunAddrs(), /inet 10\.99\.100\./, 'the virtual IP is off the TUN');
    assert.doesNotMatch(await tunRoutes(), /10\.99\.3\.0\/24/, 'the route into the tunnel is gone');
  } finally {
    await client.stop();
    await ss.stop();
  }
});
