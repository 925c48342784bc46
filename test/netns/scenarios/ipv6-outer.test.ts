import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LAB } from '../harness.js';
import { requireScenarioSystem, saBySpi } from './esprit-node.js';
import { GW_LAN4, keysAt, natTunnel, pingsPass, useLab } from './scenario.js';
import { KEYS } from './setkey-config.js';
import { describePackets, natPublicPort, ping, readCapture, summarize } from './traffic.js';

// Scenario 2d: IPv6 outer addresses through NAT66 (nftables masquerade random on the v6 side
// too): client fd99:1::2 appears at the gw as fd99:2::1 with a random port. One tunnel
// carries both inner families (IPv4 in IPv6: next header 4; IPv6 in IPv6: 41, RFC 4303 §2.6).
const skip = requireScenarioSystem();
const K = keysAt(KEYS, 0);
const scenario = useLab('v6-', { skip });

test('rfc3948 over IPv6 outer through NAT66: IPv4 and IPv6 inner pings pass', { skip }, async () => {
  const l = scenario.lab;
  const cap = await l.capture('gw', 'eth0');
  const { gw } = await scenario.startKeyedPair({
    client: { routes: [GW_LAN4, 'fd99:3::/64'] },
    gw: { routes: [`${LAB.client.lan4}/32`, `${LAB.client.lan6}/128`] },
    tunnel: {
      ...natTunnel(K),
      client: LAB.client.v6,
      gw: LAB.gw.v6,
      clientSeenByGw: LAB.natWan.v6,
      selectors: [
        [`${LAB.client.lan4}/32`, GW_LAN4],
        [`${LAB.client.lan6}/128`, 'fd99:3::/64'],
      ],
    },
  });

  await pingsPass(l, 5, LAB.client.lan6, LAB.gw.protected6);
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
