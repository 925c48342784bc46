import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { LAB, type LabProcess } from '../harness.js';
import { pollFor, requireScenarioSystem } from './esprit-node.js';
import { IkeHost } from './ike-host.js';
import { useLab } from './scenario.js';
import { iperf3, ping, readCapture, summarize } from './traffic.js';
import { GW, startVpnc, vpncConnected, vpncFailed } from './vpnc-client.js';

// vpnc 0.5.3 (Debian's) -> esprit gateway through the lab NAT (issue 9): IKEv1 Aggressive Mode
// with the group PSK (ID_KEY_ID "labgroup", swanctl `keyid:labgroup`), XAUTH generic with a
// user from an `xauth-*` secret, Mode Config pull (virtual IP from the pool, Cisco Unity split
// include of the gateway's LAN), Quick Mode with vpnc's 0.0.0.0/0 narrowed to that LAN, RFC 3947
// NAT-T (vpnc --natt-mode natt) with the float to 4500, then ping and TCP through vpnc's TUN.

/** TCP through the tunnel: one second of iperf3 from vpnc's virtual IP to the gateway's LAN. */
async function tcpThrough(l: typeof scenario.lab, vip: string): Promise<void> {
  const perf = await iperf3(l, {
    clientRole: 'client',
    serverRole: 'gw',
    serverAddress: LAB.gw.protected4,
    bindAddress: vip,
    seconds: 1,
  });
  assert.ok(perf.bytesReceived > 0, `TCP through the tunnel from ${vip}`);
}
const skip = requireScenarioSystem(['vpnc', 'iperf3']);
const scenario = useLab('ike1vpnc-', { skip });

/**
 * A vpnc that must give up against a fresh esprit gateway (`gwConf`, default GW): it exits
 * non-zero and its output matches `says` (and, with `noConnect`, its script log never saw
 * `end=connect`); then `check` looks at the gateway's side, whose monitor subscribed before
 * vpnc started. Everything is stopped afterwards.
 */
async function vpncGivesUp(
  o: { gwConf?: string; password?: string; secret?: string; why: string; says: RegExp; noConnect?: boolean },
  check: (gw: IkeHost, mon: LabProcess) => Promise<void>,
): Promise<void> {
  const l = scenario.lab;
  const gw = await IkeHost.start(l, 'gw', o.gwConf ?? GW);
  const mon = gw.monitor();
  // let the monitor subscribe before anything happens (as ikev2-lifecycle.test.ts does)
  await new Promise((r) => setTimeout(r, 1000));
  const v = await startVpnc(l, l.tmp, 'natt', o.password ?? 'labuser-password', o.secret);
  try {
    const exit = await vpncFailed(v.proc);
    assert.ok(exit, `vpnc still running ${o.why}`);
    assert.notEqual(exit.code, 0, 'vpnc exit status');
    const out = v.proc.stderr + v.proc.lines.join('\n');
    assert.match(out, o.says, out.slice(-3000));
    if (o.noConnect) assert.ok(!readFileSync(v.log, 'utf8').includes('end=connect'));
    await check(gw, mon);
  } finally {
    mon.kill('SIGTERM');
    v.proc.kill('SIGTERM');
    await v.proc.exited;
    await gw.stop();
  }
}

test('vpnc --natt-mode natt -> esprit gateway: Aggressive Mode group PSK, XAUTH, Mode Config with split include, ping and TCP through, ESP in UDP 4500 on the wire', {
  skip,
}, async () => {
  const l = scenario.lab;
  const cap = await l.capture('gw', 'eth0');
  const gw = await IkeHost.start(l, 'gw', GW);
  const v = await startVpnc(l, l.tmp, 'natt', 'labuser-password');
  try {
    const why = () =>
      `--- vpnc ---\n${v.proc.lines.join('\n').slice(-4000)}\n${v.proc.stderr.slice(-3000)}\n--- esprit ---\n${gw.proc.stderr.slice(-8000)}`;
    const connected = await vpncConnected(v.log);
    assert.ok(connected, `vpnc did not connect\n${why()}`);
    const env = readFileSync(v.log, 'utf8');
    assert.match(env, /INTERNAL_IP4_ADDRESS=10\.99\.100\.\d+/, env);
    assert.match(env, /CISCO_SPLIT_INC_0_ADDR=10\.99\.3\.0/, env);
    assert.match(env, /CISCO_SPLIT_INC_0_MASKLEN=24/, env);
    assert.match(env, /INTERNAL_IP4_DNS=10\.99\.3\.53/, env);
    // Cisco Unity attributes from the pool (numbered, strongSwan's syntax)
    assert.match(env, /CISCO_BANNER=esprit lab gateway/, env);
    assert.match(env, /CISCO_DEF_DOMAIN=lab\.example/, env);
    assert.match(env, /CISCO_SPLIT_DNS=corp\.example,lab\.example/, env);
    const vip = /INTERNAL_IP4_ADDRESS=(\S+)/.exec(env)?.[1] ?? '';
    const child = await pollFor(async () => (await gw.listSas())[0]?.children[0], 10_000);
    assert.ok(child, `no CHILD SA on the gateway\n${why()}`);
    const [sa] = await gw.listSas();
    assert.ok(sa);
    assert.equal(sa.remoteId, 'keyid:labgroup');
    assert.equal(sa.remoteBehindNat, true);
    assert.equal(sa.local.port, 4500);
    assert.deepEqual(child.remoteTs, [`${vip}/32`]);
    assert.deepEqual(child.localTs, ['10.99.3.0/24']);
    assert.equal(child.encap, true);
    const p = await ping(l, 'client', vip, LAB.gw.protected4, { count: 3 });
    assert.equal(p.received, 3, `${p.output}\n${why()}`);
    await tcpThrough(l, vip);
    // RFC 3948 on the gateway's public side: ESP in UDP 4500, IKE moved to 4500, no raw ESP
    const pkts = await readCapture(await cap.stop(), [4500]);
    const s = summarize(pkts, 4500);
    assert.ok(s.espInUdp >= 6, `ESP in UDP 4500 (3 requests and replies at least), saw ${s.espInUdp}`);
    assert.equal(s.rawEsp, 0);
    const ike4500 = pkts.filter((q) => /:isakmp/.test(q.protocols) && (q.srcPort === 4500 || q.dstPort === 4500));
    assert.ok(ike4500.length > 0, 'IKE floated to 4500 (XAUTH, Mode Config, Quick Mode there)');
    // the startup warning about the offline-crackable group PSK (RFC 2409 §5.4)
    assert.match(gw.proc.stderr, /warn \[cfg\].*connections\.vpnc: IKEv1 Aggressive Mode with a pre-shared key/);
  } finally {
    v.proc.kill('SIGTERM');
    await v.proc.exited;
    await gw.stop();
  }
});

test('vpnc --natt-mode force-natt -> esprit gateway: the faked NAT-D still gives UDP-encapsulated ESP on 4500, ping and TCP through', {
  skip,
}, async () => {
  const l = scenario.lab;
  const gw = await IkeHost.start(l, 'gw', GW);
  const v = await startVpnc(l, l.tmp, 'force-natt', 'labuser-password');
  try {
    const why = () =>
      `--- vpnc ---\n${v.proc.lines.join('\n').slice(-6000)}\n${v.proc.stderr.slice(-3000)}\n--- esprit ---\n${gw.proc.stderr.slice(-6000)}`;
    const connected = await vpncConnected(v.log);
    assert.ok(connected, `vpnc did not connect\n${why()}`);
    const vip = /INTERNAL_IP4_ADDRESS=(\S+)/.exec(readFileSync(v.log, 'utf8'))?.[1] ?? '';
    const child = await pollFor(async () => (await gw.listSas())[0]?.children[0], 10_000);
    assert.ok(child?.encap, `no UDP-encapsulated CHILD SA\n${why()}`);
    assert.equal(child.encapPorts?.local, 4500);
    const p = await ping(l, 'client', vip, LAB.gw.protected4, { count: 3 });
    assert.equal(p.received, 3, `${p.output}\n${why()}`);
    await tcpThrough(l, vip);
  } finally {
    v.proc.kill('SIGTERM');
    await v.proc.exited;
    await gw.stop();
  }
});

test('vpnc --natt-mode cisco-udp -> esprit gateway: port 10000 from Mode Config (28677), ESP right after the UDP header on 10000, IKE only on 500, ping and TCP through', {
  skip,
}, async () => {
  const l = scenario.lab;
  const cap = await l.capture('gw', 'eth0');
  const gw = await IkeHost.start(l, 'gw', GW);
  const v = await startVpnc(l, l.tmp, 'cisco-udp', 'labuser-password');
  try {
    const why = () =>
      `--- vpnc ---\n${v.proc.lines.join('\n').slice(-6000)}\n${v.proc.stderr.slice(-3000)}\n--- esprit ---\n${gw.proc.stderr.slice(-6000)}`;
    const connected = await vpncConnected(v.log);
    assert.ok(connected, `vpnc did not connect\n${why()}`);
    const vip = /INTERNAL_IP4_ADDRESS=(\S+)/.exec(readFileSync(v.log, 'utf8'))?.[1] ?? '';
    const child = await pollFor(async () => (await gw.listSas())[0]?.children[0], 10_000);
    assert.ok(child?.encap, `no UDP-encapsulated CHILD SA\n${why()}`);
    assert.equal(child.encapPorts?.local, 10000);
    const [sa] = await gw.listSas();
    assert.equal(sa?.local.port, 500, 'IKE stays on 500 (no NAT-T negotiated)');
    const p = await ping(l, 'client', vip, LAB.gw.protected4, { count: 3 });
    assert.equal(p.received, 3, `${p.output}\n${why()}`);
    await tcpThrough(l, vip);
    const pkts = await readCapture(await cap.stop(), [10000]);
    const s = summarize(pkts, 10000);
    assert.ok(s.espInUdp >= 6, `ESP in UDP 10000 (3 requests and replies at least), saw ${s.espInUdp}`);
    const ikePorts = new Set(pkts.filter((q) => /:isakmp/.test(q.protocols)).flatMap((q) => [q.srcPort, q.dstPort]));
    assert.ok(!ikePorts.has(4500), `IKE never on 4500: ${[...ikePorts].join(',')}`);
    assert.equal(s.rawEsp, 0);
  } finally {
    v.proc.kill('SIGTERM');
    await v.proc.exited;
    await gw.stop();
  }
});

test('a wrong XAUTH password: vpnc exits with an error, esprit reports auth-failed in monitor and keeps no SA', {
  skip,
}, async () => {
  await vpncGivesUp(
    {
      password: 'not-the-password',
      why: 'after a wrong password',
      says: /authentication unsuccessful/,
      noConnect: true,
    },
    async (gw, mon) => {
      const failed = await pollFor(
        async () =>
          mon.lines.some((x) => /"kind":"auth-failed".*XAUTH failed for 'labuser'/.test(x)) ? true : undefined,
        10_000,
      );
      assert.ok(failed, `no auth-failed event:\n${mon.lines.join('\n')}\n${gw.proc.stderr.slice(-4000)}`);
      assert.ok(mon.lines.some((x) => /"kind":"auth-failed","conn":"vpnc".*"notify":"AUTHENTICATION-FAILED"/.test(x)));
      assert.match(gw.proc.stderr, /XAUTH authentication of 'labuser' failed/);
      // the gateway ended the ISAKMP SA with a Delete after the status (xauth-06 §6.3)
      assert.match(gw.proc.stderr, /generating INFORMATIONAL_V1 request \d+ \[ HASH D \]/);
      assert.ok(!mon.lines.some((x) => /"kind":"child-up"/.test(x)), 'no CHILD SA came up');
      assert.deepEqual(await gw.listSas(), []);
    },
  );
});

test('a wrong group secret: vpnc finds HASH_R wrong and exits non-zero; the gateway reports the unfinished phase 1 in monitor and keeps no SA', {
  skip,
}, async () => {
  await vpncGivesUp(
    {
      secret: 'not-the-group-secret',
      why: 'with a wrong group secret',
      says: /hash comparison failed.*\n?.*check group password/,
      noConnect: true,
    },
    async (gw, mon) => {
      // vpnc stops after AM2 without a word (RFC 2409 §5.4 gives it nothing to send); the
      // gateway's half-open SA expires (30 s) and says so
      const failed = await pollFor(
        async () =>
          mon.lines.some((x) => /"kind":"auth-failed".*"notify":"TIMEOUT".*not completed by the peer after AM2/.test(x))
            ? true
            : undefined,
        45_000,
      );
      assert.ok(failed, `no auth-failed event:\n${mon.lines.join('\n')}\n${gw.proc.stderr.slice(-4000)}`);
      assert.deepEqual(await gw.listSas(), []);
    },
  );
});

test('no phase 1 proposal in common: the gateway answers AM1 with an unprotected NO-PROPOSAL-CHOSEN, vpnc exits at once with an error', {
  skip,
}, async () => {
  await vpncGivesUp(
    {
      // vpnc with `IKE DH Group dh2` offers MODP-1024 only
      gwConf: GW.replace(/proposals = [^\n]*/, 'proposals = aes128-sha256-modp2048'),
      why: 'without a common proposal',
      // vpnc expected AM2 and got an Informational (its "response was invalid [1]")
      says: /response was invalid \[1\]/,
    },
    async (gw, mon) => {
      assert.match(gw.proc.stderr, /generating INFORMATIONAL_V1 request \d+ \[ N\(NO_PROP\) \]/);
      const failed = await pollFor(
        async () =>
          mon.lines.some((x) => /"kind":"auth-failed".*"notify":"NO-PROPOSAL-CHOSEN"/.test(x)) ? true : undefined,
        5_000,
      );
      assert.ok(failed, mon.lines.join('\n'));
      assert.deepEqual(await gw.listSas(), []);
    },
  );
});
