import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LAB } from '../harness.js';
import { EspritNode, requireScenarioSystem, saBySpi } from './esprit-node.js';
import { CLIENT_NODE, GW_LAN4, keysAt, natTunnel, useLab } from './scenario.js';
import { KEYS, tunnelPair } from './setkey-config.js';
import { natPublicPort, ping, waitForPing } from './traffic.js';

// Scenario 4: two clients behind one NAT (client 10.99.1.2, client2 10.99.1.3; both leave as
// 10.99.2.1 from random ports), two tunnels to the one gw at once. On the gw the two peers share
// the outer address and the NAT-T port 4500 they were configured with, so their SAs and
// policies carry unique reqids (level unique, docs/dataplane.md §3) and the gw's SAs name the
// real public ports, read from the NAT's conntrack table after each client's first packet (what
// IKE would have learnt). Inner: client 10.99.4.1 (lo), client2 10.99.4.2 (its TUN).
const skip = requireScenarioSystem();
const K1 = keysAt(KEYS, 0);
const K2 = keysAt(KEYS, 1);
const INNER2 = '10.99.4.2';
const scenario = useLab('two-', { skip, secondClient: true });

test('two clients behind one NAT: both tunnels up at once, both ping at the same time', { skip }, async () => {
  const l = scenario.lab;
  const [c1, c2, gw] = await Promise.all([
    EspritNode.start(l, 'client', CLIENT_NODE),
    EspritNode.start(l, 'client2', { ...CLIENT_NODE, tunAddresses: [`${INNER2}/32`] }),
    EspritNode.start(l, 'gw', { routes: ['10.99.4.0/24'] }),
  ]);
  scenario.nodes.push(c1, c2, gw);
  // Both tunnels: the standard NAT-T tunnel with unique reqids; the second from client2.
  const spec1 = { ...natTunnel(K1), level: 'unique' as const };
  const spec2 = {
    ...natTunnel(K2),
    level: 'unique' as const,
    client: LAB.client2.v4,
    selectors: [[`${INNER2}/32`, GW_LAN4] as const],
  };
  const t1 = tunnelPair(spec1);
  const t2 = tunnelPair(spec2);
  await c1.setkey(t1.client);
  await c2.setkey(t2.client);

  // Each client's first ESP packet opens its NAT mapping (the gw has no SA yet and drops it).
  await Promise.all([
    ping(l, 'client', LAB.client.lan4, LAB.gw.protected4, { count: 1, waitS: 1 }),
    ping(l, 'client2', INNER2, LAB.gw.protected4, { count: 1, waitS: 1 }),
  ]);
  const port1 = await natPublicPort(l, LAB.client.v4, 4500);
  const port2 = await natPublicPort(l, LAB.client2.v4, 4500);
  assert.ok(port1 !== undefined && port2 !== undefined, 'the NAT mapped both clients');
  assert.notEqual(port1, port2);

  const gwConfig =
    tunnelPair({ ...spec1, clientPortSeenByGw: port1 }).gw +
    tunnelPair({ ...spec2, clientPortSeenByGw: port2, flush: false }).gw;
  await gw.setkey(gwConfig);

  await waitForPing(l, 'client', LAB.client.lan4, LAB.gw.protected4);
  await waitForPing(l, 'client2', INNER2, LAB.gw.protected4);
  const [p1, p2] = await Promise.all([
    ping(l, 'client', LAB.client.lan4, LAB.gw.protected4, { count: 10 }),
    ping(l, 'client2', INNER2, LAB.gw.protected4, { count: 10 }),
  ]);
  assert.equal(p1.received, 10, p1.output);
  assert.equal(p2.received, 10, p2.output);

  const sas = await gw.sas();
  const peers = [K1.clientToGw, K1.gwToClient, K2.clientToGw, K2.gwToClient].map((k) => saBySpi(sas, k.spi));
  assert.deepEqual(
    peers.map((s) => [s?.reqid, s?.peer?.port]),
    [
      [K1.clientToGw.reqid, port1],
      [K1.gwToClient.reqid, port1],
      [K2.clientToGw.reqid, port2],
      [K2.gwToClient.reqid, port2],
    ],
  );
  for (const s of peers)
    assert.ok((s?.packets ?? 0) >= 10, `each SA carried its client's traffic: ${JSON.stringify(s)}`);
  // No cross-talk: neither peer's packets were refused by the inbound policy check of the
  // other's SA (RFC 4301 §5.2; the reqid binds each SA to its own policy).
  for (const s of peers) assert.equal(s?.drops?.['policy-mismatch'] ?? 0, 0);
});
