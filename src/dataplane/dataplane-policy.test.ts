/**
 * Transport mode with the NAT-OA fix-up (RFC 3948 §3.1.2), two clients behind one NAT,
 * ACQUIRE with held packets (RFC 4301 §5.1), lifetimes, and every drop reason counted.
 */
import assert from 'node:assert/strict';
import { createCipheriv } from 'node:crypto';
import { describe, it } from 'node:test';
import { nodeBackend } from '../crypto/node-backend.js';
import { EspSa } from '../esp/esp-sa.js';
import { DROP_REASONS } from '../esp/types.js';
import { FakeClock } from '../util/clock.js';
import { fromHex, toHex } from '../util/hex.js';
import { parseIp as ip, parsePrefix as pfx } from '../util/ip-addr.js';
import { SeededRng } from '../util/rng.js';
import { DATAPLANE_DROP_REASONS, type DataplaneDropReason } from './drop-reasons.js';
import {
  CLIENT,
  CLIENT2,
  directPair,
  GATEWAY,
  ICMP_REP4,
  ICMP_REQ4,
  NAT_PUBLIC,
  natTunnel,
  tunnelPolicy,
} from './scenarios.js';
import { KEY_A, KEY_B, Nat, Net, saConfig } from './test-harness.js';

/*
 * UDP 10.0.0.2:5000 -> 192.0.2.1:7 "hello", checksums by an independent Python script
 * (RFC 768 pseudo-header sum):
 *   sent by the client (private source):   1388 0007 000d dc6f 68656c6c6f
 *   valid for the NAT's source 198.51.100.7: checksum bc36
 * The client's TUN packet (IPv4, DF, id 1) and the packet the gateway's TUN must get
 * (rebuilt header: id 0, no DF, TTL 64, header checksum 8e90):
 */
const UDP_FROM_CLIENT = fromHex('4500002100014000401192890a000002c000020113880007000ddc6f68656c6c6f');
const UDP_AT_GATEWAY = fromHex('450000210000000040118e90c6336407c000020113880007000dbc3668656c6c6f');

/** drop reasons seen anywhere in this file; the last test checks that all were */
const seen = new Set<DataplaneDropReason>();
function record(dp: { status(): { totals: { drops: Partial<Record<DataplaneDropReason, number>> } } }): void {
  for (const [k, v] of Object.entries(dp.status().totals.drops)) if (v) seen.add(k as DataplaneDropReason);
}

describe('transport mode', () => {
  it('rebuilds the packet with the received addresses and fixes the UDP checksum from NAT-OA', () => {
    const clock = new FakeClock(0);
    const nat = new Nat(NAT_PUBLIC);
    const net = new Net(clock, nat);
    const client = net.host({
      name: 'client',
      address: CLIENT,
      behindNat: true,
      listeners: [{ address: '0.0.0.0', port: 4500, role: 'natt' }],
    });
    const gateway = net.host({
      name: 'gateway',
      address: GATEWAY,
      listeners: [{ address: GATEWAY, port: 4500, role: 'natt' }],
    });
    const natPort = nat.map({ address: CLIENT, port: 4500 });
    const encap = { type: 'rfc3948' as const, sport: 4500, dport: 4500 };
    client.keys.addSa(
      saConfig({ spi: 0x3001, src: ip(CLIENT), dst: ip(GATEWAY), mode: 'transport', encapsulation: encap }),
    );
    client.keys.addPolicy({
      selector: { src: pfx(`${CLIENT}/32`), dst: pfx(`${GATEWAY}/32`), proto: 17, sport: 0, dport: 0 },
      dir: 'out',
      action: 'ipsec',
      requests: [{ proto: 'esp', mode: 'transport', level: 'require', reqid: 0 }],
    });
    gateway.keys.addSa(
      saConfig({
        spi: 0x3001,
        src: ip(NAT_PUBLIC),
        dst: ip(GATEWAY),
        mode: 'transport',
        encapsulation: { type: 'rfc3948', sport: natPort, dport: 4500 },
        natOa: { src: ip(CLIENT) }, // RFC 3947 §5.2: NAT-OAi, the client's original address
        natFloat: true,
      }),
    );
    gateway.keys.addPolicy({
      selector: { src: pfx(`${NAT_PUBLIC}/32`), dst: pfx(`${GATEWAY}/32`), proto: 17, sport: 0, dport: 7 },
      dir: 'in',
      action: 'ipsec',
      requests: [{ proto: 'esp', mode: 'transport', level: 'require', reqid: 0 }],
    });
    client.dp.fromTun(UDP_FROM_CLIENT);
    // transport mode: next header 17 (UDP) in the ESP trailer; only the UDP segment is protected
    net.pump();
    assert.equal(gateway.tun.length, 1);
    assert.equal(toHex(gateway.tun[0] ?? new Uint8Array(0)), toHex(UDP_AT_GATEWAY));
  });

  it('drops an IP fragment offered to a transport-mode SA', () => {
    const clock = new FakeClock(0);
    const net = new Net(clock);
    const h = net.host({ name: 'h', address: CLIENT, listeners: [{ address: '0.0.0.0', port: 4500, role: 'natt' }] });
    h.keys.addSa(saConfig({ spi: 0x3001, src: ip(CLIENT), dst: ip(GATEWAY), mode: 'transport' }));
    h.keys.addPolicy({
      selector: { src: pfx(`${CLIENT}/32`), dst: pfx(`${GATEWAY}/32`), proto: 255, sport: 0, dport: 0 },
      dir: 'out',
      action: 'ipsec',
      requests: [{ proto: 'esp', mode: 'transport', level: 'require', reqid: 0 }],
    });
    const frag = UDP_FROM_CLIENT.slice();
    frag[6] = 0x20; // MF set (RFC 791 §3.1 flags)
    h.dp.fromTun(frag);
    assert.equal(h.dp.status().totals.drops.fragment, 1);
    record(h.dp);
    assert.equal(net.queue.length, 0);
  });
});

describe('two clients behind one NAT', () => {
  it('keeps both mappings apart (same public address, different ports), each way', () => {
    const t = natTunnel({ gatewayReqid: 5 });
    const { net, nat, gateway } = t;
    // a second client 10.0.0.3 (inner 10.1.0.3) behind the same NAT, unique reqids on the gateway
    const c2 = net.host({
      name: 'client2',
      address: CLIENT2,
      behindNat: true,
      listeners: [{ address: '0.0.0.0', port: 4500, role: 'natt' }],
    });
    const port2 = nat.map({ address: CLIENT2, port: 4500 });
    const req2 = ICMP_REQ4.slice();
    req2[15] = 3; // source 10.1.0.3
    req2[11] = (req2[11] as number) - 1; // header checksum: source word +1 -> checksum -1 (RFC 1624)
    const rep2 = ICMP_REP4.slice();
    rep2[19] = 3; // destination 10.1.0.3
    rep2[11] = (rep2[11] as number) - 1;
    c2.keys.addSa(saConfig({ spi: 0x1002, src: ip(CLIENT2), dst: ip(GATEWAY), natKeepalive: true }));
    c2.keys.addSa(
      saConfig({
        spi: 0x2002,
        src: ip(GATEWAY),
        dst: ip(CLIENT2),
        encryption: { algorithm: 'aes-gcm-16', key: KEY_B },
      }),
    );
    c2.keys.addPolicy(tunnelPolicy('out', '10.1.0.3/32', '10.2.0.0/24', CLIENT2, GATEWAY));
    c2.keys.addPolicy(tunnelPolicy('in', '10.2.0.0/24', '10.1.0.3/32', GATEWAY, CLIENT2));
    // gateway side of client 2: same public address, port2; reqid 7 (unique) picks the SA outbound
    gateway.keys.addSa(
      saConfig({
        spi: 0x1002,
        src: ip(NAT_PUBLIC),
        dst: ip(GATEWAY),
        encapsulation: { type: 'rfc3948', sport: port2, dport: 4500 },
        natFloat: true,
      }),
      { reqid: 7 },
    );
    gateway.keys.addSa(
      saConfig({
        spi: 0x2002,
        src: ip(GATEWAY),
        dst: ip(NAT_PUBLIC),
        encryption: { algorithm: 'aes-gcm-16', key: KEY_B },
        encapsulation: { type: 'rfc3948', sport: 4500, dport: port2 },
      }),
      { reqid: 7 },
    );
    gateway.keys.addPolicy(
      tunnelPolicy('in', '10.1.0.3/32', '10.2.0.0/24', NAT_PUBLIC, GATEWAY, { level: 'unique', reqid: 7 }),
    );
    gateway.keys.addPolicy(
      tunnelPolicy('out', '10.2.0.0/24', '10.1.0.3/32', GATEWAY, NAT_PUBLIC, { level: 'unique', reqid: 7 }),
    );
    t.client.dp.fromTun(ICMP_REQ4);
    c2.dp.fromTun(req2);
    net.pump();
    assert.deepEqual(gateway.tun, [ICMP_REQ4, req2]);
    gateway.dp.fromTun(rep2);
    assert.deepEqual(net.queue[0]?.dst, { address: NAT_PUBLIC, port: port2 });
    net.pump();
    assert.deepEqual(c2.tun, [rep2]);
    assert.deepEqual(t.client.tun, []);
    // client 2 claims client 1's inner address: its SA does not match that policy
    c2.keys.addPolicy(tunnelPolicy('out', '10.1.0.2/32', '10.2.0.0/24', CLIENT2, GATEWAY));
    c2.dp.fromTun(ICMP_REQ4);
    net.pump();
    assert.equal(gateway.tun.length, 2);
    assert.equal(gateway.dp.status().totals.drops['policy-mismatch'], 1);
    // one NAT rebinding moves only client 2's SAs
    const newPort2 = nat.rebind({ address: CLIENT2, port: 4500 });
    c2.dp.fromTun(req2);
    net.pump();
    gateway.dp.fromTun(ICMP_REP4);
    gateway.dp.fromTun(rep2);
    assert.deepEqual(
      net.queue.map((d) => d.dst.port),
      [t.natPort, newPort2],
    );
    net.pump();
    assert.deepEqual(t.client.tun, [ICMP_REP4]);
    assert.deepEqual(c2.tun, [rep2, rep2]);
  });
});

describe('ACQUIRE', () => {
  it('holds packets while there is no SA and sends them when it appears', () => {
    const { net, a, b } = directPair({ family: 4, encap: 'rfc3948' });
    const out = a.keys.sad.dump().find((e) => e.spi === 0x1001);
    assert.ok(out);
    a.keys.deleteSa(out);
    a.dp.fromTun(ICMP_REQ4);
    a.dp.fromTun(ICMP_REQ4);
    assert.equal(net.queue.length, 0);
    assert.equal(a.keys.acquires.length, 1, 'one ACQUIRE (rate limited)');
    assert.equal(a.pfkey.filter((d) => d.message.header.type === 6).length, 1);
    assert.equal(a.dp.status().totals.held, 2);
    // the key manager installs the SA: both held packets leave, in order
    a.keys.addSa(saConfig({ spi: 0x1001, src: ip('10.0.0.2'), dst: ip(GATEWAY) }));
    assert.equal(a.dp.status().totals.released, 2);
    net.pump();
    assert.deepEqual(b.tun, [ICMP_REQ4, ICMP_REQ4]);
  });
});

describe('lifetimes', () => {
  it('reports the ESP engine lifetime crossings and the SAD expiry', () => {
    const { a } = directPair({ family: 4, encap: 'rfc3948' });
    const out = a.keys.sad.dump().find((e) => e.spi === 0x1001);
    assert.ok(out);
    a.keys.deleteSa(out);
    a.keys.addSa(
      saConfig({ spi: 0x1001, src: ip('10.0.0.2'), dst: ip(GATEWAY), lifetime: { softPackets: 1n, hardPackets: 2n } }),
    );
    a.dp.fromTun(ICMP_REQ4);
    a.dp.fromTun(ICMP_REQ4);
    a.dp.fromTun(ICMP_REQ4);
    assert.deepEqual(a.keys.lifetimeEvents, [
      { spi: 0x1001, which: 'soft' },
      { spi: 0x1001, which: 'hard' },
    ]);
    assert.equal(a.dp.status().totals.drops['lifetime-expired'], 1);
    record(a.dp);
  });
});

describe('drop reasons', () => {
  it('counts every reason and never throws', () => {
    const hit = seen;
    const check = (dp: { status(): { totals: { drops: Partial<Record<DataplaneDropReason, number>> } } }) => {
      for (const [k, v] of Object.entries(dp.status().totals.drops)) if (v) hit.add(k as DataplaneDropReason);
    };
    const { net, a, b } = directPair({ family: 4, encap: 'rfc3948' });
    // outbound
    a.dp.fromTun(Uint8Array.of(0x45, 0)); // bad-packet
    const noPolicy = ICMP_REQ4.slice();
    noPolicy[17] = 3; // destination 10.3.0.5: no policy (peekIp does not check the header checksum)
    a.dp.fromTun(noPolicy); // no-policy (checksum irrelevant: peekIp does not check it)
    a.keys.addPolicy({
      selector: { src: pfx('10.1.0.2/32'), dst: pfx('10.4.0.0/16'), proto: 255, sport: 0, dport: 0 },
      dir: 'out',
      action: 'discard',
      requests: [],
    });
    const discard = ICMP_REQ4.slice();
    discard[17] = 4;
    a.dp.fromTun(discard); // policy-discard
    a.keys.addPolicy(tunnelPolicy('out', '10.1.0.2/32', '10.5.0.0/16', '10.0.0.2', '203.0.113.9', { level: 'use' }));
    const noSa = ICMP_REQ4.slice();
    noSa[17] = 5;
    // the fake key engine holds every packet; a key engine that does not (level use) -> no-sa
    const held = a.keys.onOutboundNoSa.bind(a.keys);
    a.keys.onOutboundNoSa = (p, t, pk) => ({ ...held(p, t, pk), held: false });
    a.dp.fromTun(noSa); // no-sa
    a.keys.onOutboundNoSa = held;
    // an SA whose keys the engine refuses (GCM key of the wrong length) -> sa-unusable
    a.keys.addPolicy(tunnelPolicy('out', '10.1.0.2/32', '10.6.0.0/16', '10.0.0.2', '203.0.113.6'));
    a.keys.addSa(
      saConfig({
        spi: 0x6001,
        src: ip('10.0.0.2'),
        dst: ip('203.0.113.6'),
        encryption: { algorithm: 'aes-gcm-16', key: new Uint8Array(7) },
      }),
    );
    const unusable = ICMP_REQ4.slice();
    unusable[17] = 6;
    a.dp.fromTun(unusable); // sa-unusable
    // an SA on a NAT-T port nobody listens on -> no-listener
    a.keys.addPolicy(tunnelPolicy('out', '10.1.0.2/32', '10.7.0.0/16', '10.0.0.2', '203.0.113.7'));
    a.keys.addSa(
      saConfig({
        spi: 0x7001,
        src: ip('10.0.0.2'),
        dst: ip('203.0.113.7'),
        encapsulation: { type: 'rfc3948', sport: 4501, dport: 4500 },
      }),
    );
    const noListener = ICMP_REQ4.slice();
    noListener[17] = 7;
    a.dp.fromTun(noListener); // no-listener
    // seq-overflow: an SA whose next sequence number is the last one (RFC 4303 §3.3.3)
    a.keys.addPolicy(tunnelPolicy('out', '10.1.0.2/32', '10.8.0.0/16', '10.0.0.2', '203.0.113.8'));
    a.keys.addSa(saConfig({ spi: 0x8001, src: ip('10.0.0.2'), dst: ip('203.0.113.8'), seq: 0xffff_ffffn }));
    const last = ICMP_REQ4.slice();
    last[17] = 8;
    a.dp.fromTun(last);
    a.dp.fromTun(last); // seq-overflow
    // sendIke toward the other family / from an unknown port
    a.dp.sendIke({ address: '0.0.0.0', port: 4500 }, { address: '2001:db8::1', port: 4500 }, new Uint8Array(28)); // family-mismatch
    a.dp.sendIke({ address: '0.0.0.0', port: 4999 }, { address: GATEWAY, port: 4500 }, new Uint8Array(28)); // no-listener
    a.dp.fromUdp(9, GATEWAY, 4500, Uint8Array.of(1)); // no-listener (unknown id)
    net.dropQueued();
    check(a.dp);

    // inbound: demux drops on the NAT-T port
    const rx = (p: Uint8Array) => b.dp.fromUdp(0, '10.0.0.2', 4500, p);
    rx(new Uint8Array(0)); // empty
    rx(Uint8Array.of(1, 2)); // short
    rx(fromHex('0000100100000001')); // short-esp (8 bytes)
    rx(fromHex(`00000000${'00'.repeat(20)}`)); // short-ike
    rx(fromHex(`000000ff${'00'.repeat(20)}`)); // spi-reserved
    rx(fromHex(`0000abcd${'00'.repeat(40)}`)); // unknown-spi
    rx(fromHex(`00001001${'00'.repeat(10)}`)); // truncated (shorter than IV + ICV)
    b.dp.fromRawEsp(ip('10.0.0.2').bytes, ip(GATEWAY).bytes, fromHex(`00000000${'00'.repeat(20)}`)); // spi-zero
    b.dp.fromUdp(0, '10.0.0.2', 4500, fromHex(`000000000000000000001001${'00'.repeat(20)}`).subarray(0, 3)); // short
    // cisco and udp-encaps-00 only reasons
    const clock = new FakeClock(0);
    const n2 = new Net(clock);
    const c = n2.host({
      name: 'c',
      address: '10.9.0.1',
      listeners: [
        { address: '0.0.0.0', port: 10000, role: 'cisco-udp' },
        { address: '0.0.0.0', port: 500, role: 'ike-encaps-00' },
      ],
    });
    c.dp.fromUdp(0, '10.0.0.2', 10000, fromHex(`00000000${'11'.repeat(30)}`)); // ike-on-cisco-port
    c.dp.fromUdp(1, '10.0.0.2', 500, fromHex(`000000000000000000000000${'11'.repeat(8)}`)); // spi-zero
    check(c.dp);
    // ESP engine reasons on a real SA: replay, icv; then an inner packet outside b's inbound policy
    a.dp.fromTun(ICMP_REQ4);
    const good = net.dropQueued()[0]?.payload;
    assert.ok(good);
    rx(good.slice());
    rx(good.slice()); // replay
    a.dp.fromTun(ICMP_REQ4);
    const forged = net.dropQueued()[0]?.payload.slice();
    assert.ok(forged);
    forged[20] = (forged[20] as number) ^ 0x80;
    rx(forged); // icv
    // b's inbound policy does not cover 10.1.0.9 -> policy-mismatch
    const spoofed = ICMP_REQ4.slice();
    spoofed[15] = 9;
    a.keys.addPolicy(tunnelPolicy('out', '10.1.0.9/32', '10.2.0.0/24', '10.0.0.2', GATEWAY));
    a.dp.fromTun(spoofed);
    rx(net.dropQueued()[0]?.payload ?? new Uint8Array(0)); // policy-mismatch
    check(b.dp);
    // ambiguous-spi: a wildcard listener, no local addresses, two SAs that could own SPI 0x9009
    const n3 = new Net(clock);
    const w = n3.host({
      name: 'w',
      address: '10.9.0.2',
      listeners: [{ address: '0.0.0.0', port: 4500, role: 'natt' }],
    });
    w.keys.addSa(saConfig({ spi: 0x9009, src: ip('198.51.100.1'), dst: ip('10.9.0.2') }));
    w.keys.addSa(saConfig({ spi: 0x9009, src: ip('198.51.100.2'), dst: ip('10.9.0.3') }));
    w.dp.fromUdp(0, '198.51.100.3', 4500, fromHex(`00009009${'00'.repeat(40)}`));
    check(w.dp);
    // a dummy packet (next header 59, RFC 4303 §2.6), bad padding, a bad inner packet and a
    // next header that does not fit tunnel mode: sealed by a second engine with b's inbound keys
    hitEngineReasons(hit);

    const unreachable: DataplaneDropReason[] = ['too-big']; // seal() output is always sized by maxSealLength
    const missing = DATAPLANE_DROP_REASONS.filter((r) => !hit.has(r) && !unreachable.includes(r));
    assert.deepEqual(missing, []);
    assert.ok(DROP_REASONS.every((r) => (DATAPLANE_DROP_REASONS as readonly string[]).includes(r)));
  });
});

/**
 * Reasons that need a packet only a misbehaving peer would send. Dummy, wrong next header
 * and a non-IP payload are sealed by a second EspSa holding b's inbound keys; bad padding
 * is AES-GCM built directly with node:crypto (RFC 4106 §3-§5: nonce = salt | IV, AAD = SPI | Seq).
 */
function hitEngineReasons(hit: Set<DataplaneDropReason>): void {
  const { b } = directPair({ family: 4, encap: 'rfc3948' });
  const rx = (p: Uint8Array) => b.dp.fromUdp(0, '10.0.0.2', 4500, p);
  const forge = (mode: 'tunnel' | 'transport', seq: bigint) =>
    new EspSa(saConfig({ spi: 0x1001, src: ip('10.0.0.2'), dst: ip(GATEWAY), mode, seq }), 'out', {
      backend: nodeBackend,
      rng: new SeededRng(1n),
    });
  const seal = (sa: EspSa, nh: number, payload: Uint8Array) => {
    const out = new Uint8Array(sa.maxSealLength(payload.length));
    const r = sa.seal(nh, payload, out);
    assert.ok(r.ok);
    return out.subarray(0, r.length);
  };
  rx(seal(forge('tunnel', 10n), 59, new Uint8Array(16))); // dummy
  rx(seal(forge('transport', 20n), 17, new Uint8Array(16))); // bad-next-header
  rx(seal(forge('tunnel', 30n), 4, Uint8Array.of(0x45, 1, 2, 3))); // bad-packet (not an IPv4 packet)
  // bad-padding: plaintext | 01 02 09 | pad length 3 | next header 4; the third pad byte should be 03
  const key = KEY_A.subarray(0, 16);
  const salt = KEY_A.subarray(16);
  const iv = fromHex('0000000000000028');
  const head = fromHex('0000100100000028');
  const plain = Uint8Array.from([...ICMP_REQ4.subarray(0, 23), 1, 2, 9, 3, 4]);
  const c = createCipheriv('aes-128-gcm', key, Buffer.concat([salt, iv]), { authTagLength: 16 });
  c.setAAD(head);
  const ct = Buffer.concat([c.update(plain), c.final()]);
  rx(Uint8Array.from([...head, ...iv, ...ct, ...c.getAuthTag()]));
  for (const [k, v] of Object.entries(b.dp.status().totals.drops)) if (v) hit.add(k as DataplaneDropReason);
}
