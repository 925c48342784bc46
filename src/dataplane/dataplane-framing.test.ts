/**
 * Every framing end to end between two Dataplanes: RFC 3948 over IPv6, udp-encaps-00 on the
 * IKE port, cisco-udp with both keepalive formats, raw ESP; and IKE passthrough with and
 * without the Non-ESP Marker. Expected framing bytes are from the RFC/draft text
 * (udpencap/framing.ts header), not from our encoder.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../util/clock.js';
import { fromHex, toHex } from '../util/hex.js';
import { parseIp as ip } from '../util/ip-addr.js';
import {
  directPair,
  GATEWAY,
  ICMP_REP4,
  ICMP_REP6,
  ICMP_REQ4,
  ICMP_REQ6,
  NAT_PUBLIC,
  natTunnel,
  V6_CLIENT,
  V6_GATEWAY,
} from './scenarios.js';
import { Net } from './test-harness.js';

/** A 28-byte IKEv2 header, IKE_SA_INIT request (RFC 7296 §3.1): SPIi 0102..08, SPIr 0, next 33, v2.0, exch 34, flags 08. */
const IKE = fromHex('0102030405060708' + '0000000000000000' + '21202208' + '00000000' + '0000001c');

describe('framings', () => {
  it('rfc3948 tunnel IPv6-in-IPv6 both ways', () => {
    const { net, a, b } = directPair({ family: 6, encap: 'rfc3948' });
    a.dp.fromTun(ICMP_REQ6);
    const d = net.queue[0];
    assert.deepEqual(d?.src, { address: V6_CLIENT, port: 4500 });
    assert.deepEqual(d?.dst, { address: V6_GATEWAY, port: 4500 });
    assert.equal(toHex(d?.payload.subarray(0, 8) ?? new Uint8Array(0)), '0000100100000001');
    net.pump();
    assert.deepEqual(b.tun, [ICMP_REQ6]);
    b.dp.fromTun(ICMP_REP6);
    net.pump();
    assert.deepEqual(a.tun, [ICMP_REP6]);
    assert.deepEqual(a.dp.status().totals.drops, {});
    assert.deepEqual(b.dp.status().totals.drops, {});
  });

  it('udp-encaps-00 on port 500: 8-byte Non-IKE Marker before ESP, IKE unmarked on the same port', () => {
    const { net, a, b } = directPair({ family: 4, encap: 'udp-encaps-00' });
    a.dp.fromTun(ICMP_REQ4);
    const d = net.queue[0];
    assert.deepEqual(d?.dst, { address: GATEWAY, port: 500 });
    // draft-ietf-ipsec-udp-encaps-00 §2.1: 00 x 8 | SPI | Seq
    assert.equal(toHex(d?.payload.subarray(0, 16) ?? new Uint8Array(0)), '0000000000000000' + '0000100100000001');
    net.pump();
    assert.deepEqual(b.tun, [ICMP_REQ4]);
    b.dp.fromTun(ICMP_REP4);
    net.pump();
    assert.deepEqual(a.tun, [ICMP_REP4]);
    // IKE on the shared port goes out as is and comes in as IKE (initiator cookie never zero)
    a.dp.sendIke({ address: '0.0.0.0', port: 500 }, { address: GATEWAY, port: 500 }, IKE);
    assert.deepEqual(net.queue[0]?.payload, IKE);
    net.pump();
    assert.equal(b.ike.length, 1);
    assert.deepEqual(b.ike[0]?.ike, IKE);
    assert.deepEqual(b.ike[0]?.local, { address: GATEWAY, port: 500 });
    assert.deepEqual(b.ike[0]?.remote, { address: '10.0.0.2', port: 500 });
  });

  for (const [format, bytes] of [
    ['ff', 'ff'],
    ['00000000ff', '00000000ff'],
  ] as const) {
    it(`cisco-udp on port 10000 with keepalive ${bytes}`, () => {
      const { net, clock, client, gateway, natPort } = natTunnel({
        framing: 'cisco-udp',
        port: 10000,
        keepalive: format,
      });
      client.dp.fromTun(ICMP_REQ4);
      // cisco-udp: ESP right after the UDP header (vpnc tunip.c)
      assert.equal(toHex(net.queue[0]?.payload.subarray(0, 8) ?? new Uint8Array(0)), '0000100100000001');
      net.pump();
      assert.deepEqual(gateway.tun, [ICMP_REQ4]);
      gateway.dp.fromTun(ICMP_REP4);
      net.pump();
      assert.deepEqual(client.tun, [ICMP_REP4]);
      clock.advance(20_000);
      client.dp.tick();
      const ka = net.queue[0];
      // FF (Shrew, RFC 3948 §2.3) or vpnc's 00 00 00 00 FF
      assert.equal(toHex(ka?.payload ?? new Uint8Array(0)), bytes);
      assert.deepEqual(ka?.src, { address: NAT_PUBLIC, port: natPort });
      net.pump();
      const st = gateway.dp.status();
      assert.equal(st.totals.keepalivesIn, 1);
      assert.deepEqual(st.totals.drops, {});
      // no IKE on a cisco-udp port: refused on send, dropped on receive
      client.dp.sendIke({ address: '0.0.0.0', port: 10000 }, { address: GATEWAY, port: 10000 }, IKE);
      assert.equal(net.queue.length, 0);
      assert.equal(client.dp.status().totals.drops['ike-on-cisco-port'], 1);
    });
  }

  it('raw ESP (IP protocol 50) both ways', () => {
    const { net, a, b } = directPair({ family: 4, encap: 'none' });
    a.dp.fromTun(ICMP_REQ4);
    const d = net.queue[0];
    assert.equal(d?.kind, 'raw');
    assert.equal(toHex(d?.payload.subarray(0, 8) ?? new Uint8Array(0)), '0000100100000001');
    net.pump();
    assert.deepEqual(b.tun, [ICMP_REQ4]);
    b.dp.fromTun(ICMP_REP4);
    net.pump();
    assert.deepEqual(a.tun, [ICMP_REP4]);
    assert.equal(a.dp.status().totals.rawIn, 1);
    assert.equal(a.dp.status().totals.rawOut, 1);
  });

  it('raw IPv6 ESP without a known destination: the SA is found through our addresses or by SPI', () => {
    for (const local of [true, false]) {
      const { net, a, b } = directPair({ family: 6, encap: 'none', aLocal: local });
      b.dp.fromTun(ICMP_REP6);
      const d = net.dropQueued()[0];
      assert.equal(d?.kind, 'raw');
      // a raw IPv6 socket does not see the IPv6 header: destination unknown
      a.dp.fromRawEsp(ip(V6_GATEWAY).bytes, undefined, d?.payload ?? new Uint8Array(0));
      assert.deepEqual(a.tun, [ICMP_REP6], `local addresses known: ${local}`);
    }
  });
});

describe('IKE passthrough', () => {
  it('on a NAT-T port: Non-ESP Marker added on send and stripped on receive (RFC 3948 §2.2)', () => {
    const { net, client, gateway, natPort } = natTunnel();
    client.dp.sendIke({ address: '0.0.0.0', port: 4500 }, { address: GATEWAY, port: 4500 }, IKE);
    assert.equal(toHex(net.queue[0]?.payload ?? new Uint8Array(0)), `00000000${toHex(IKE)}`);
    net.pump();
    assert.deepEqual(gateway.ike, [
      { local: { address: GATEWAY, port: 4500 }, remote: { address: NAT_PUBLIC, port: natPort }, ike: IKE },
    ]);
    // the reply to the NAT's endpoint, marked too
    gateway.dp.sendIke({ address: GATEWAY, port: 4500 }, { address: NAT_PUBLIC, port: natPort }, IKE);
    assert.equal(toHex(net.queue[0]?.payload ?? new Uint8Array(0)), `00000000${toHex(IKE)}`);
    net.pump();
    assert.equal(client.ike.length, 1);
    assert.deepEqual(client.ike[0]?.ike, IKE);
    assert.deepEqual(client.ike[0]?.remote, { address: GATEWAY, port: 4500 });
  });

  it('to or from port 500: never a marker (RFC 7296 §2.23)', () => {
    const { net, client, gateway } = natTunnel();
    // an 'ike' listener on 500 and the NAT-T listener talking to a peer's port 500
    client.dp.sendIke({ address: '0.0.0.0', port: 4500 }, { address: GATEWAY, port: 500 }, IKE);
    assert.deepEqual(net.queue[0]?.payload, IKE);
    net.dropQueued();
    // a natt listener receiving unmarked IKE from port 500 treats it as IKE (demux.ts)
    gateway.dp.fromUdp(0, NAT_PUBLIC, 500, IKE.slice());
    assert.deepEqual(gateway.ike[0]?.ike, IKE);
  });

  it('an IKE-only listener on port 500 passes IKE as is, both ways, and absorbs 1-byte keepalives', () => {
    const clock = new FakeClock(0);
    const net = new Net(clock);
    const a = net.host({ name: 'a', address: '10.0.0.2', listeners: [{ address: '0.0.0.0', port: 500, role: 'ike' }] });
    const b = net.host({ name: 'b', address: GATEWAY, listeners: [{ address: GATEWAY, port: 500, role: 'ike' }] });
    a.dp.sendIke({ address: '10.0.0.2', port: 500 }, { address: GATEWAY, port: 500 }, IKE);
    assert.deepEqual(net.queue[0]?.payload, IKE);
    net.pump();
    assert.deepEqual(b.ike[0]?.ike, IKE);
    b.dp.sendIke({ address: GATEWAY, port: 500 }, { address: '10.0.0.2', port: 500 }, IKE);
    net.pump();
    assert.deepEqual(a.ike[0]?.ike, IKE);
    b.dp.fromUdp(0, '10.0.0.2', 500, Uint8Array.of(0xff));
    assert.equal(b.dp.status().totals.keepalivesIn, 1);
    assert.equal(b.ike.length, 1);
  });
});
