import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Netns, newPrefix, requireSystem, run } from './harness.js';

// System test: raw ESP (IP protocol 50) sockets through the koffi binding, between two
// namespaces joined by a veth (A 10.99.2.1 / fd99:2::1 <-> B 10.99.2.2 / fd99:2::2).
const skip = requireSystem(['ip']);
const PEER = fileURLToPath(new URL('./fixtures/raw-esp-peer.js', import.meta.url));

// A fake ESP packet (RFC 4303 §2): SPI 0x00001234, sequence number 1, 16 bytes standing in
// for IV + ciphertext + ICV. Nothing decrypts it: the test checks delivery byte for byte.
const ESP = '00001234' + '00000001' + '00112233445566778899aabbccddeeff';

let a: Netns | undefined;
let b: Netns | undefined;

function both(): [Netns, Netns] {
  assert.ok(a && b, 'namespaces were not created');
  return [a, b];
}

/** A counter from /proc/net/snmp (v4: "Icmp:" rows) or /proc/net/snmp6 (v6) inside `ns`. */
async function snmp(ns: Netns, family: 4 | 6, field: string): Promise<number> {
  if (family === 6) {
    const out = (await ns.exec(['cat', '/proc/net/snmp6'])).stdout;
    const m = new RegExp(`^${field}\\s+(\\d+)`, 'm').exec(out);
    assert.ok(m, `${field} in snmp6`);
    return Number(m[1]);
  }
  const rows = (await ns.exec(['cat', '/proc/net/snmp'])).stdout.split('\n').filter((l) => l.startsWith('Icmp:'));
  const names = (rows[0] ?? '').split(/\s+/);
  const values = (rows[1] ?? '').split(/\s+/);
  const i = names.indexOf(field);
  assert.ok(i > 0, `${field} in snmp`);
  return Number(values[i]);
}

async function send(from: Netns, family: 4 | 6, dst: string): Promise<void> {
  const r = await from.exec([process.execPath, PEER, 'send', String(family), dst, ESP]);
  const out = JSON.parse(r.stdout) as { sent: boolean; counters: { txPackets: number } };
  assert.equal(out.sent, true);
  assert.equal(out.counters.txPackets, 1);
}

before(async () => {
  if (skip) return;
  const prefix = newPrefix();
  a = await Netns.create(`${prefix}espa`);
  b = await Netns.create(`${prefix}espb`);
  await run(['ip', 'link', 'add', 'eth0', 'netns', a.name, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', b.name]);
  for (const [n, v4, v6] of [
    [a, '10.99.2.1/24', 'fd99:2::1/64'],
    [b, '10.99.2.2/24', 'fd99:2::2/64'],
  ] as const) {
    await n.exec(['ip', 'addr', 'add', v4, 'dev', 'eth0']);
    await n.exec(['ip', '-6', 'addr', 'add', v6, 'dev', 'eth0', 'nodad']);
    await n.exec(['ip', 'link', 'set', 'eth0', 'up']);
  }
});

after(() => {
  a?.destroySync();
  b?.destroySync();
});

for (const [family, dst, src, icmpField] of [
  // RFC 1122 §3.2.2.1: protocol unreachable (type 3 code 2) for an unknown protocol.
  [4, '10.99.2.2', '10.99.2.1', 'OutDestUnreachs'],
  // RFC 8200 §4 / RFC 4443 §3.4: Parameter Problem code 1 for an unrecognized Next Header.
  [6, 'fd99:2::2', 'fd99:2::1', 'Icmp6OutParmProblems'],
] as const) {
  test(`raw ESP over IPv${family}: refused with ICMP when nobody listens, delivered to a listener`, {
    skip,
  }, async () => {
    const [na, nb] = both();
    const before0 = await snmp(nb, family, icmpField);
    await send(na, family, dst);
    let afterNoListener = await snmp(nb, family, icmpField);
    for (let i = 0; i < 20 && afterNoListener === before0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      afterNoListener = await snmp(nb, family, icmpField);
    }
    assert.equal(afterNoListener, before0 + 1, `B answered the unheard ESP with ICMP (${icmpField})`);

    const listener = nb.spawn([process.execPath, PEER, 'recv', String(family)]);
    try {
      await listener.waitForLine(/"ready"/);
      await send(na, family, dst);
      const line = await listener.waitForLine(/"esp"/);
      const got = JSON.parse(line) as { esp: { src: string; hex: string } };
      // IPv4 raw sockets see the IP header; the adapter must strip it (IPv6 ones never see it).
      assert.equal(got.esp.hex, ESP);
      assert.equal(got.esp.src, src);
      assert.equal(await snmp(nb, family, icmpField), afterNoListener, 'no ICMP while a raw socket listens');
    } finally {
      listener.kill('SIGKILL');
      await listener.exited;
    }
  });
}
