import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { LAB, Lab, newPrefix } from '../harness.js';
import { EspritNode, requireScenarioSystem, saBySpi, stopAll } from './esprit-node.js';
import { KEYS, tunnelPair } from './setkey-config.js';
import { describePackets, natPublicPort, ping, readCapture, summarize, waitForPing } from './traffic.js';

// Scenario 2d: IPv6 outer addresses through NAT66 (nftables masquerade random on the v6 side
// too): client fd99:1::2 appears at the gw as fd99:2::1 with a random port. One tunnel
// carries both inner families (IPv4 in IPv6: next header 4; IPv6 in IPv6: 41, RFC 4303 §2.6).
const skip = requireScenarioSystem();
const K = KEYS[0];

let lab: Lab | undefined;
const nodes: EspritNode[] = [];

before(async () => {
  if (skip) return;
  lab = await Lab.create({ prefix: `${newPrefix()}v6-`, natPorts: 'random' });
});

after(async () => {
  await stopAll(nodes);
  await lab?.destroy();
});

test('rfc3948 over IPv6 outer through NAT66: IPv4 and IPv6 inner pings pass', { skip }, async () => {
  assert.ok(lab && K, 'lab was not created');
  const l = lab;
  const cap = await l.capture('gw', 'eth0');
  const [client, gw] = await Promise.all([
    EspritNode.start(l, 'client', { routes: ['10.99.3.0/24', 'fd99:3::/64'] }),
    EspritNode.start(l, 'gw', { routes: [`${LAB.client.lan4}/32`, `${LAB.client.lan6}/128`] }),
  ]);
  nodes.push(client, gw);
  const cfg = tunnelPair({
    keys: K,
    client: LAB.client.v6,
    gw: LAB.gw.v6,
    clientSeenByGw: LAB.natWan.v6,
    clientPort: 4500,
    gwPort: 4500,
    framing: 'rfc3948',
    behindNat: true,
    selectors: [
      [`${LAB.client.lan4}/32`, '10.99.3.0/24'],
      [`${LAB.client.lan6}/128`, 'fd99:3::/64'],
    ],
  });
  await client.setkey(cfg.client);
  await gw.setkey(cfg.gw);

  await waitForPing(l, 'client', LAB.client.lan6, LAB.gw.protected6);
  const p6 = await ping(l, 'client', LAB.client.lan6, LAB.gw.protected6, { count: 5 });
  assert.equal(p6.received, 5, p6.output);
  const p4 = await ping(l, 'client', LAB.client.lan4, LAB.gw.protected4, { count: 5 });
  assert.equal(p4.received, 5, p4.output);

  const publicPort = await natPublicPort(l, LAB.client.v6, 4500);
  assert.ok(publicPort !== undefined, 'NAT66 has a mapping for [client]:4500');
  const inbound = saBySpi(await gw.sas(), K.clientToGw.spi);
  assert.deepEqual(inbound?.peer, { address: LAB.natWan.v6, port: publicPort });

  const pkts = await readCapture(await cap.stop());
  const s = summarize(pkts);
  assert.ok(s.espInUdp >= 20, `ESP-in-UDP (10 requests and replies at least), saw ${s.espInUdp}`);
  assert.equal(s.other.length, 0, `nothing else on the public side:\n${describePackets(s.other)}`);
  for (const q of pkts.filter((x) => x.espSpi !== undefined)) {
    assert.ok(/:ipv6:udp:/.test(q.protocols), `IPv6 outer: ${describePackets([q])}`);
    assert.ok(q.src === LAB.natWan.v6 || q.dst === LAB.natWan.v6, `via the NAT66 address: ${describePackets([q])}`);
  }
});
