import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { LAB, Lab, type LabProcess, requireSystem, run } from './harness.js';

// System test: needs root, iproute2, nftables, conntrack, tcpdump, tshark, ping.
// Outside CI it is skipped with a reason when those are missing; in CI (CI=true) it fails.
const skip = requireSystem(['ip', 'nft', 'conntrack', 'tcpdump', 'tshark', 'ping', 'sysctl']);
const UDP_PEER = fileURLToPath(new URL('./fixtures/udp-peer.js', import.meta.url));

let lab: Lab | undefined;

function theLab(): Lab {
  assert.ok(lab, 'lab was not created');
  return lab;
}

/** Fields of the packets in a pcap, read by tshark (an independent dissector). */
async function tsharkFields(file: string, display: string, fields: string[]): Promise<string[]> {
  const r = await run(['tshark', '-r', file, '-Y', display, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])]);
  return r.stdout.split('\n').filter((l) => l.length > 0);
}

interface Rx {
  rx: { local: number; address: string; port: number; family: string; text: string };
}

function isRx(x: unknown): x is Rx {
  return typeof x === 'object' && x !== null && 'rx' in x;
}

/** Wait until `p` printed an rx line with `text`, and return it. */
async function rxOf(p: LabProcess, text: string): Promise<Rx['rx']> {
  await p.waitForLine(new RegExp(`"text":"${text}"`));
  const hit = p
    .json()
    .filter(isRx)
    .find((x) => x.rx.text === text);
  assert.ok(hit, `no rx line for ${text}`);
  return hit.rx;
}

before(async () => {
  if (skip) return;
  lab = await Lab.create({ natPorts: 'random', secondClient: true });
});

after(async () => {
  await lab?.destroy();
});

test('the lab comes up: namespaces exist, nat has the ruleset', { skip }, async () => {
  const l = theLab();
  for (const n of l.names) assert.ok(existsSync(`/run/netns/${n}`), n);
  assert.ok(l.names.every((n) => n.startsWith(l.prefix)));
  const rules = await l.exec('nat', ['nft', 'list', 'table', 'inet', 'labnat']);
  assert.match(rules.stdout, /oifname "wan" masquerade random/);
  const routes = await l.exec('gw', ['ip', 'route', 'show']);
  assert.doesNotMatch(routes.stdout, /10\.99\.1\./, 'gw has no route to the client LAN');
});

test('client pings gw through the NAT (v4 and v6); client2 too', { skip }, async () => {
  const l = theLab();
  await l.exec('client', ['ping', '-c1', '-W2', LAB.gw.v4]);
  await l.exec('client', ['ping', '-6', '-c1', '-W2', LAB.gw.v6]);
  await l.exec('client2', ['ping', '-c1', '-W2', LAB.gw.v4]);
  // The stateful filter drops unsolicited wan->lan: gw cannot reach the client.
  const back = await l.exec('gw', ['ping', '-c1', '-W1', LAB.client.v4], { allowFail: true });
  assert.notEqual(back.code, 0);
});

test('gw sees only the NAT address as source (capture + tshark)', { skip }, async () => {
  const l = theLab();
  const cap = await l.capture('gw', 'eth0', 'icmp or icmp6');
  await l.exec('client', ['ping', '-c2', '-W2', LAB.gw.v4]);
  await l.exec('client', ['ping', '-6', '-c2', '-W2', LAB.gw.v6]);
  const file = await cap.stop();
  const v4 = await tsharkFields(file, 'icmp.type == 8', ['ip.src', 'ip.dst']);
  const v6 = await tsharkFields(file, 'icmpv6.type == 128', ['ipv6.src', 'ipv6.dst']);
  // ping -c2 exits 0 only when both replies came, so gw saw both requests, each from the NAT.
  assert.deepEqual(v4, [`${LAB.natWan.v4}\t${LAB.gw.v4}`, `${LAB.natWan.v4}\t${LAB.gw.v4}`]);
  assert.deepEqual(v6, [`${LAB.natWan.v6}\t${LAB.gw.v6}`, `${LAB.natWan.v6}\t${LAB.gw.v6}`]);
});

test('conntrack flush gives the same UDP flow a new public source port (masquerade random)', { skip }, async () => {
  const l = theLab();
  // gw: one v4 and one v6 endpoint on the same port (the v6 one is ipv6Only).
  const gw = l.spawn('gw', [process.execPath, UDP_PEER, `${LAB.gw.v4}:9999`, `[${LAB.gw.v6}]:9999`]);
  await gw.waitForLine(/"ready"/);
  const client = l.spawn('client', [process.execPath, UDP_PEER, '0.0.0.0:40000', '[::]:40000']);
  await client.waitForLine(/"ready"/);

  client.write(`send 0 ${LAB.gw.v4} 9999 a`);
  const a = await rxOf(gw, 'a');
  client.write(`send 0 ${LAB.gw.v4} 9999 b`);
  const b = await rxOf(gw, 'b');
  assert.equal(a.address, LAB.natWan.v4);
  assert.equal(a.family, 'IPv4');
  assert.equal(a.local, 9999);
  assert.equal(b.port, a.port, 'without a flush the mapping is kept');

  await l.flushConntrack();
  client.write(`send 0 ${LAB.gw.v4} 9999 c`);
  const c = await rxOf(gw, 'c');
  assert.equal(c.address, LAB.natWan.v4);
  assert.notEqual(c.port, a.port, 'after the flush the NAT picks a new random port');

  // NAT66 on the v6 endpoint of the same port number.
  client.write(`send 1 ${LAB.gw.v6} 9999 d`);
  const d = await rxOf(gw, 'd');
  assert.equal(d.address, LAB.natWan.v6);
  assert.equal(d.family, 'IPv6');
  client.child.stdin?.end();
  gw.child.stdin?.end();
  await Promise.all([client.exited, gw.exited]);
});

test('destroy leaves no namespaces and is idempotent', { skip }, async () => {
  const l = theLab();
  const names = l.names;
  // a long-running process inside must not keep a namespace alive
  l.spawn('gw', ['sleep', '600']);
  await l.destroy();
  await l.destroy();
  for (const n of names) assert.equal(existsSync(`/run/netns/${n}`), false, n);
  const list = await run(['ip', 'netns', 'list']);
  for (const n of names) assert.doesNotMatch(list.stdout, new RegExp(`^${n}\\b`, 'm'));
});
