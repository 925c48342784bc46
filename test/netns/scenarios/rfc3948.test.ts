import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LAB } from '../harness.js';
import { pollFor, requireScenarioSystem, saBySpi, statusNumber } from './esprit-node.js';
import { keysAt, natTunnel, pingsPass, useLab } from './scenario.js';
import { KEYS } from './setkey-config.js';
import { describePackets, iperf3, natPublicPort, readCapture, summarize } from './traffic.js';
import { udpBurstArrives } from './udp-burst.js';

// Scenario 1: RFC 3948 ESP-in-UDP through the NAT (nftables masquerade random), static keys
// loaded with `esprit setkey -f` on both ends. The client is behind the NAT (-n keepalive);
// the gw knows only the NAT's public address and port 4500 and follows the real mapping (-n float).
//
//   client 10.99.4.1 ── esp0 ── ipsecd ─UDP 4500→NAT(random port)─ ipsecd(gw) ── esp0 ── 10.99.3.1
const skip = requireScenarioSystem(['iperf3', 'python3']);

const K = keysAt(KEYS, 0);
const scenario = useLab('r3948-', { skip });

test('rfc3948 through the NAT: ping and iperf3 pass; the public side sees only UDP 4500 (ESP and keepalives)', {
  skip,
}, async () => {
  const l = scenario.lab;
  const cap = await l.capture('gw', 'eth0');
  const { client, gw } = await scenario.startKeyedPair({ client: { keepaliveInterval: 2 }, tunnel: natTunnel(K) });

  await pingsPass(l, 5);

  // A burst of equal-size UDP datagrams from one socket (IPv4 IDs incrementing): the gw
  // writes runs of them to its TUN as GSO_UDP_L4 frames (tcp-coalescer.ts), which the
  // kernel cuts back into datagrams and checksums; each must arrive byte for byte.
  const merged0 = statusNumber(await gw.status(), 'groMerged') ?? 0;
  await udpBurstArrives(l);
  const merged = (statusNumber(await gw.status(), 'groMerged') ?? 0) - merged0;
  assert.ok(merged > 0, `the gw merged UDP datagrams before its TUN write (groMerged +${merged})`);

  const perf = await iperf3(l, {
    clientRole: 'client',
    serverRole: 'gw',
    serverAddress: LAB.gw.protected4,
    bindAddress: LAB.client.lan4,
    seconds: 3,
  });
  assert.ok(perf.bytesReceived > 0, 'iperf3 TCP moved data through the tunnel');

  // The gw followed the client to the NAT's real mapping (RFC 3948 / RFC 7296 §2.23).
  const publicPort = await natPublicPort(l, LAB.client.v4, 4500);
  assert.ok(publicPort !== undefined, 'the NAT has a mapping for client:4500');
  const gwSas = await gw.sas();
  const inbound = saBySpi(gwSas, K.clientToGw.spi);
  const outbound = saBySpi(gwSas, K.gwToClient.spi);
  assert.ok(inbound && outbound, `gw status lists both SAs: ${JSON.stringify(gwSas)}`);
  assert.equal(inbound.framing, 'rfc3948');
  assert.deepEqual(inbound.peer, { address: LAB.natWan.v4, port: publicPort });
  assert.deepEqual(outbound.peer, { address: LAB.natWan.v4, port: publicPort });
  assert.ok((inbound.packets ?? 0) > 0 && (outbound.packets ?? 0) > 0);

  // Idle longer than --keepalive-interval 2: the client sends NAT-keepalives (RFC 3948 §2.3)
  // and they reach the gw through the NAT.
  const received = await pollFor(async () => {
    const n = statusNumber(await gw.status(), 'keepalivesIn') ?? 0;
    return n > 0 ? n : undefined;
  }, 12_000);
  assert.ok(received !== undefined, 'the gw received a NAT-keepalive while the tunnel was idle');
  assert.ok((statusNumber(await client.status(), 'keepalivesOut') ?? 0) >= received);

  const pkts = await readCapture(await cap.stop());
  const s = summarize(pkts);
  assert.ok(s.espInUdp > 0, 'ESP-in-UDP on the public side');
  assert.ok(s.keepalives >= 1, 'at least one NAT-keepalive on the public side');
  assert.equal(s.other.length, 0, `only UDP 4500 (and ARP/ND) on the public side:\n${describePackets(s.other)}`);
  // Every UDP packet is between the gw's 4500 and the NAT's public address.
  for (const q of pkts.filter((x) => /:udp/.test(x.protocols))) {
    const gwSide = q.src === LAB.gw.v4 ? q.srcPort : q.dstPort;
    assert.equal(gwSide, 4500, describePackets([q]));
    assert.ok(q.src === LAB.natWan.v4 || q.dst === LAB.natWan.v4, describePackets([q]));
  }
});
