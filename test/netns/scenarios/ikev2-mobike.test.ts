import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LAB, type Lab } from '../harness.js';
import { pollFor, requireScenarioSystem } from './esprit-node.js';
import { IkeHost } from './ike-host.js';
import { clientConf, gwConf } from './ikev2-configs.js';
import { useLab } from './scenario.js';
import { StrongSwanHost } from './strongswan-host.js';
import { natPublicPort, ping, sleep, waitForPing } from './traffic.js';

// MOBIKE (RFC 4555) through the lab NAT. The client has a second link to the NAT (client eth1
// 10.99.7.2 ↔ nat lan2, masqueraded like the first). It connects over eth0 (10.99.1.2), a
// 10 Hz ping runs through the tunnel, then eth0's address is removed and the default route
// moves to eth1: the client's IKE daemon sees the change and sends UPDATE_SA_ADDRESSES from
// 10.99.7.2; the NAT maps that to a new public port, the gateway moves the IKE SA and the
// CHILD SA there, and the ping goes on. Three pairings: esprit -> strongSwan 5.9.8,
// strongSwan -> esprit (charon roams on kernel-netlink address events), esprit <-> esprit.
const skip = requireScenarioSystem(['/usr/lib/ipsec/charon', 'swanctl']);
const scenario = useLab('mobike-', { skip, secondLink: true });

const SS_CLIENT = clientConf().replace('home {', 'home {\n    version = 2');
const SS_GW = gwConf().replace('rw {', 'rw {\n    version = 2');

/** Back on link 1 (each test starts there): eth0 up with its address, the default route via the NAT's lan. */
async function onLink1(l: Lab): Promise<void> {
  await l.exec('client', ['ip', 'link', 'set', 'eth0', 'up']);
  await l.exec('client', ['ip', 'addr', 'replace', `${LAB.client.v4}/24`, 'dev', 'eth0']);
  await l.exec('client', ['ip', 'route', 'replace', 'default', 'via', LAB.natLan.v4, 'dev', 'eth0']);
  await l.flushConntrack();
}

/**
 * Link 1 loses its address and goes down (its IPv6 path with it: the peers would otherwise
 * roam there, MOBIKE offers every address); the default route moves to link 2.
 */
async function moveToLink2(l: Lab): Promise<void> {
  await l.exec('client', ['ip', 'addr', 'del', `${LAB.client.v4}/24`, 'dev', 'eth0']);
  await l.exec('client', ['ip', 'link', 'set', 'eth0', 'down']);
  await l.exec('client', ['ip', 'route', 'replace', 'default', 'via', LAB.clientLink2.nat, 'dev', 'eth1']);
}

function replySeqs(lines: readonly string[]): number[] {
  return lines.flatMap((l) => {
    const m = /icmp_seq=(\d+)/.exec(l);
    return m ? [Number(m[1])] : [];
  });
}

/**
 * 10 pings/s for 10 s from the virtual IP; the move happens after 2 s. Returns the public
 * NAT ports before and after (client:4500 on each link).
 */
async function pingAcrossTheMove(
  l: Lab,
  vip: string,
  diag: () => string,
): Promise<{ before: number; after: number; summary: string }> {
  await waitForPing(l, 'client', vip, LAB.gw.protected4);
  const before = await natPublicPort(l, LAB.client.v4, 4500);
  assert.ok(before !== undefined, 'the NAT mapped 10.99.1.2:4500');
  const pinger = l.spawn('client', ['ping', '-n', '-i', '0.1', '-c', '100', '-W', '1', '-I', vip, LAB.gw.protected4]);
  await sleep(2000);
  const early = replySeqs(pinger.lines);
  assert.ok(early.length > 0, `replies on link 1:\n${pinger.lines.join('\n')}`);
  await moveToLink2(l);
  const movedAt = Math.max(...early);
  await pinger.exited;
  const late = replySeqs(pinger.lines).filter((s) => s > movedAt + 1);
  assert.ok(
    late.length >= 20,
    `the ping goes on after the move (seq > ${movedAt + 1}): ${late.length} replies\n${pinger.lines.slice(-5).join('\n')}\n${diag()}`,
  );
  const after = await natPublicPort(l, LAB.clientLink2.client, 4500);
  assert.ok(after !== undefined, `the NAT mapped 10.99.7.2:4500\n${diag()}`);
  assert.notEqual(after, before);
  const p = await ping(l, 'client', vip, LAB.gw.protected4, { count: 5 });
  assert.equal(p.received, 5, p.output);
  const summary = pinger.lines.find((x) => /packets transmitted/.test(x)) ?? '';
  return { before, after, summary: `${summary} (moved after icmp_seq ${movedAt})` };
}

test('esprit client -> strongSwan gateway: the client moves to its second link, the gateway follows (UPDATE_SA_ADDRESSES)', {
  skip,
}, async (t) => {
  const l = scenario.lab;
  await onLink1(l);
  const ss = await StrongSwanHost.start(l, 'gw', SS_GW);
  const client = await IkeHost.start(l, 'client', clientConf());
  try {
    const up = await client.up('home');
    assert.equal(up.code, 0, `esprit up failed: ${up.stderr}\n${client.proc.stderr}\n${ss.log()}`);
    const [cs] = await client.listSas();
    assert.ok(cs);
    const vip = cs.vipsLocal[0] ?? '';
    assert.match(await ss.listSas(), /10\.99\.2\.1\[\d+\]/);
    const diag = () => `--- esprit ---\n${client.proc.stderr.slice(-4000)}\n--- charon ---\n${ss.log(80)}`;
    const ports = await pingAcrossTheMove(l, vip, diag);
    t.diagnostic(ports.summary);
    const [moved] = await client.listSas();
    assert.equal(moved?.local.address, LAB.clientLink2.client, diag());
    // strongSwan lists the IKE SA's remote endpoint as 10.99.2.1[port].
    const sas = await ss.listSas();
    assert.ok(sas.includes(`${LAB.natWan.v4}[${ports.after}]`), `strongSwan follows to port ${ports.after}:\n${sas}`);
    const charonLog = ss.log(400);
    assert.match(charonLog, /peer supports MOBIKE/);
    assert.match(
      charonLog,
      /parsed INFORMATIONAL request \d+ \[ N\(UPD_SA_ADDR\) N\(NATD_S_IP\) N\(NATD_D_IP\) N\(COOKIE2\)/,
    );
  } finally {
    await client.stop();
    await ss.stop();
  }
});

test('strongSwan client -> esprit gateway: charon roams to its second link, the esprit gateway moves the IKE and CHILD SA', {
  skip,
}, async (t) => {
  const l = scenario.lab;
  await onLink1(l);
  const gw = await IkeHost.start(l, 'gw', gwConf());
  const ss = await StrongSwanHost.start(l, 'client', SS_CLIENT);
  try {
    const r = await ss.initiate('net', 'home');
    assert.equal(r.code, 0, `swanctl --initiate failed:\n${r.stdout}${r.stderr}\n${ss.log()}\n${gw.proc.stderr}`);
    const diag = () => `--- esprit ---\n${gw.proc.stderr.slice(-4000)}\n--- charon ---\n${ss.log(80)}`;
    const ports = await pingAcrossTheMove(l, '10.99.100.1', diag);
    t.diagnostic(ports.summary);
    const gs = await pollFor(async () => {
      const [s] = await gw.listSas();
      return s?.remote.port === ports.after ? s : undefined;
    }, 5000);
    assert.ok(gs, `the esprit gateway's IKE SA is at ${LAB.natWan.v4}:${ports.after}\n${diag()}`);
    assert.deepEqual(gs.remote, { address: LAB.natWan.v4, port: ports.after });
    // charon may rekey the CHILD SA after the move; whichever is listed uses the new port.
    assert.equal(gs.children[0]?.encapPorts?.remote, ports.after, 'the CHILD SA moved too');
    assert.match(ss.log(400), /peer supports MOBIKE/);
    assert.match(gw.proc.stderr, /parsed INFORMATIONAL request \d+ \[ N\(UPD_SA_ADDR\)/);
    assert.match(gw.proc.stderr, /address-update rw\[#\d+\] responder done/);
  } finally {
    await ss.stop();
    await gw.stop();
  }
});

test('esprit <-> esprit: the client moves to its second link, the gateway follows with the IKE and CHILD SA', {
  skip,
}, async (t) => {
  const l = scenario.lab;
  await onLink1(l);
  const gw = await IkeHost.start(l, 'gw', gwConf());
  const client = await IkeHost.start(l, 'client', clientConf());
  try {
    const up = await client.up('home');
    assert.equal(up.code, 0, `esprit up failed: ${up.stderr}\n${client.proc.stderr}\n${gw.proc.stderr}`);
    const [cs] = await client.listSas();
    const vip = cs?.vipsLocal[0] ?? '';
    const diag = () => `--- client ---\n${client.proc.stderr.slice(-3000)}\n--- gw ---\n${gw.proc.stderr.slice(-3000)}`;
    const ports = await pingAcrossTheMove(l, vip, diag);
    t.diagnostic(ports.summary);
    const [gs] = await gw.listSas();
    assert.deepEqual(gs?.remote, { address: LAB.natWan.v4, port: ports.after }, diag());
    assert.equal(gs?.children[0]?.encapPorts?.remote, ports.after, 'the CHILD SA moved too');
    assert.match(gw.proc.stderr, /address-update rw\[#\d+\] responder done/);
    assert.match(client.proc.stderr, /address-update home\[#\d+\] initiator done/);
    const [moved] = await client.listSas();
    assert.equal(moved?.local.address, LAB.clientLink2.client);
  } finally {
    await client.stop();
    await gw.stop();
  }
});
