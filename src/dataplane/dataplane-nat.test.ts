/**
 * Two Dataplanes through a NAT (test-harness.ts): RFC 3948 tunnel mode both ways, NAT
 * rebinding (RFC 3947 §7, RFC 7296 §2.23) and NAT-keepalives (RFC 3948 §4).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toHex } from '../util/hex.js';
import { parseIp } from '../util/ip-addr.js';
import { CLIENT, GATEWAY, ICMP_REP4, ICMP_REQ4, NAT_PUBLIC, natTunnel } from './scenarios.js';
import { saConfig } from './test-harness.js';

describe('rfc3948 tunnel through a NAT', () => {
  it('carries IPv4-in-IPv4 both ways; the far TUN gets the bytes that went in', () => {
    const { net, client, gateway, natPort } = natTunnel();
    // client TUN: echo request -->  HDR(10.0.0.2:4500 -> 192.0.2.1:4500) ESP{10.1.0.2 -> 10.2.0.5}
    client.dp.fromTun(ICMP_REQ4);
    assert.equal(net.queue.length, 1);
    const onWire = net.queue[0];
    assert.ok(onWire);
    // after the NAT: from the public endpoint; ESP directly after UDP (RFC 3948 §2.1): SPI 0x1001, seq 1
    assert.deepEqual(onWire.src, { address: NAT_PUBLIC, port: natPort });
    assert.deepEqual(onWire.dst, { address: GATEWAY, port: 4500 });
    assert.equal(toHex(onWire.payload.subarray(0, 8)), '0000100100000001');
    net.pump();
    assert.equal(gateway.tun.length, 1);
    assert.deepEqual(gateway.tun[0], ICMP_REQ4);
    // gateway TUN: echo reply <-- to the NAT's public endpoint, which maps it back to the client
    gateway.dp.fromTun(ICMP_REP4);
    assert.deepEqual(net.queue[0]?.dst, { address: NAT_PUBLIC, port: natPort });
    net.pump();
    assert.deepEqual(client.tun, [ICMP_REP4]);
    // counters per SA and totals
    const gs = gateway.dp.status();
    const gin = gs.sas.find((s) => s.spi === '00001001');
    const gout = gs.sas.find((s) => s.spi === '00002001');
    assert.equal(gin?.direction, 'in');
    assert.equal(gin?.packets, 1);
    assert.equal(gin?.bytes, ICMP_REQ4.length);
    assert.deepEqual(gin?.peer, { address: NAT_PUBLIC, port: natPort });
    assert.equal(gout?.direction, 'out');
    assert.deepEqual(gout?.peer, { address: NAT_PUBLIC, port: natPort });
    assert.equal(gout?.framing, 'rfc3948');
    assert.equal(gs.totals.tunOut, 1);
    assert.equal(gs.totals.espIn, 1);
    assert.deepEqual(gs.totals.drops, {});
    assert.equal(gs.listeners[0]?.counters.espIn, 1);
    assert.equal(gs.listeners[0]?.counters.espOut, 1);
  });

  it('follows a NAT rebinding on the gateway: SA, outbound and NEW_MAPPING; only the packet in flight is lost', () => {
    const { net, nat, client, gateway, natPort } = natTunnel();
    client.dp.fromTun(ICMP_REQ4);
    net.pump();
    // a reply is in flight when the NAT forgets the mapping and the client gets a new port
    gateway.dp.fromTun(ICMP_REP4);
    const newPort = nat.rebind({ address: CLIENT, port: 4500 });
    assert.notEqual(newPort, natPort);
    net.pump();
    assert.equal(nat.dropped, 1, 'the reply in flight hits the dead mapping');
    assert.equal(client.tun.length, 0);
    // the client's next packet arrives from the new port; the gateway's SA and its reverse SA follow
    client.dp.fromTun(ICMP_REQ4);
    net.pump();
    assert.equal(gateway.tun.length, 2);
    assert.deepEqual(gateway.keys.mappings, [
      {
        spi: 0x1001,
        old: { addr: gateway.keys.mappings[0]?.old.addr, port: natPort },
        to: { addr: gateway.keys.mappings[0]?.to.addr, port: newPort },
      },
    ]);
    assert.equal(gateway.keys.mappings[0]?.to.addr.text, NAT_PUBLIC);
    assert.equal(gateway.pfkey.filter((d) => d.message.header.type === 23).length, 1, 'X_NAT_T_NEW_MAPPING');
    gateway.dp.fromTun(ICMP_REP4);
    assert.deepEqual(net.queue[0]?.dst, { address: NAT_PUBLIC, port: newPort });
    net.pump();
    assert.deepEqual(client.tun, [ICMP_REP4]);
    const st = gateway.dp.status();
    assert.deepEqual(st.sas.find((s) => s.spi === '00001001')?.peer, { address: NAT_PUBLIC, port: newPort });
    assert.deepEqual(st.sas.find((s) => s.spi === '00002001')?.peer, { address: NAT_PUBLIC, port: newPort });
    assert.equal(st.totals.natMappings, 1);
    // the client (behind the NAT, natFloat unset) never moves
    assert.equal(client.keys.mappings.length, 0);
  });

  it('does not move back for a delayed packet from the old mapping (only the newest may move the SA)', () => {
    const { net, nat, client, gateway, natPort } = natTunnel();
    client.dp.fromTun(ICMP_REQ4); // seq 1, old port
    const delayed = net.queue.shift();
    assert.ok(delayed);
    const newPort = nat.rebind({ address: CLIENT, port: 4500 });
    client.dp.fromTun(ICMP_REQ4); // seq 2, new port
    net.pump();
    assert.equal(gateway.keys.mappings.length, 1);
    // seq 1 arrives late from the old endpoint: accepted (inside the replay window), no move
    net.queue.push(delayed);
    net.pump();
    assert.equal(gateway.tun.length, 2);
    assert.equal(gateway.keys.mappings.length, 1);
    const peer = gateway.dp.status().sas.find((s) => s.spi === '00001001')?.peer;
    assert.deepEqual(peer, { address: NAT_PUBLIC, port: newPort });
    assert.notEqual(newPort, natPort);
  });

  it('never moves on a packet that fails the ICV or replay check', () => {
    const { net, client, gateway, natPort } = natTunnel();
    client.dp.fromTun(ICMP_REQ4);
    client.dp.fromTun(ICMP_REQ4);
    const [d, d2] = net.queue.splice(0, 2);
    assert.ok(d && d2);
    const replayed = d.payload.slice();
    const forged = d2.payload.slice(); // seq 2: passes the replay check, fails the ICV
    forged[forged.length - 1] = (forged[forged.length - 1] as number) ^ 1;
    net.queue.push(d);
    net.pump();
    // the same packet from another port: a replay; a forged one: ICV failure
    net.queue.push({ ...d, src: { address: NAT_PUBLIC, port: 50000 }, payload: replayed });
    net.queue.push({ ...d, src: { address: NAT_PUBLIC, port: 50001 }, payload: forged });
    net.pump();
    assert.equal(gateway.keys.mappings.length, 0);
    const st = gateway.dp.status();
    assert.equal(st.totals.drops.replay, 1);
    assert.equal(st.totals.drops.icv, 1);
    assert.deepEqual(st.sas.find((s) => s.spi === '00001001')?.peer, { address: NAT_PUBLIC, port: natPort });
  });

  it('sends keepalives only from the side behind the NAT, only when idle, one per mapping', () => {
    const { net, clock, client, gateway, natPort } = natTunnel();
    assert.equal(client.dp.nextDeadline(), 1000 + 20_000);
    assert.equal(gateway.dp.nextDeadline(), undefined, 'natKeepalive is unset on the gateway');
    clock.advance(15_000);
    client.dp.fromTun(ICMP_REQ4); // traffic restarts the idle timer
    net.pump();
    clock.advance(10_000); // 25 s after start, 10 s after the last send
    client.dp.tick();
    gateway.dp.tick();
    assert.equal(net.queue.length, 0, 'not idle long enough');
    assert.equal(client.dp.nextDeadline(), 1000 + 15_000 + 20_000);
    clock.advance(10_000);
    client.dp.tick();
    gateway.dp.tick();
    assert.equal(net.queue.length, 1);
    const ka = net.queue[0];
    assert.deepEqual(ka?.payload, Uint8Array.of(0xff)); // RFC 3948 §2.3
    assert.deepEqual(ka?.src, { address: NAT_PUBLIC, port: natPort });
    net.pump();
    assert.equal(gateway.dp.status().totals.keepalivesIn, 1);
    assert.equal(gateway.tun.length, 1, 'the keepalive is absorbed');
    client.dp.tick();
    assert.equal(net.queue.length, 0, 'one keepalive per interval');
    const ks = client.dp.status().keepalives;
    assert.equal(ks.length, 1);
    assert.deepEqual(ks[0]?.sas.length, 1);
  });

  it('ignores natKeepalive on an inbound SA (keepalives go only toward the peer of an outbound SA)', () => {
    const { net, clock, client } = natTunnel();
    // the same flag on an SA whose destination is the client itself: no keepalive "to" CLIENT
    client.keys.addSa(
      saConfig({
        spi: 0x3001,
        src: parseIp(GATEWAY),
        dst: parseIp(CLIENT),
        encapsulation: { type: 'rfc3948', sport: 4500, dport: 4500 },
        natKeepalive: true,
      }),
    );
    clock.advance(20_000);
    client.dp.tick();
    assert.equal(net.queue.length, 1);
    assert.equal(net.queue[0]?.dst.address, GATEWAY);
    const ks = client.dp.status().keepalives;
    assert.equal(ks.length, 1);
  });

  it('a keepalive from a new port does not move the SA (RFC 3947 §7)', () => {
    const { net, clock, nat, client, gateway, natPort } = natTunnel();
    nat.rebind({ address: CLIENT, port: 4500 });
    clock.advance(20_000);
    client.dp.tick();
    net.pump();
    assert.equal(gateway.dp.status().totals.keepalivesIn, 1);
    assert.equal(gateway.keys.mappings.length, 0);
    assert.deepEqual(gateway.dp.status().sas.find((s) => s.spi === '00001001')?.peer, {
      address: NAT_PUBLIC,
      port: natPort,
    });
  });
});
