import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { LAB, Lab, newPrefix } from '../harness.js';
import { EspritNode, requireScenarioSystem, saBySpi, stopAll } from './esprit-node.js';
import { KEYS, tunnelPair } from './setkey-config.js';
import { describePackets, ping, readCapture, summarize, waitForPing } from './traffic.js';

// Scenario 2b: Cisco UDP encapsulation (vpnc "Cisco UDP"): ESP right after the UDP header
// on port 10000, both ends listening on 10000 with role cisco-udp.
const skip = requireScenarioSystem();
const K = KEYS[0];

let lab: Lab | undefined;
const nodes: EspritNode[] = [];

before(async () => {
  if (skip) return;
  lab = await Lab.create({ prefix: `${newPrefix()}cisco-`, natPorts: 'random' });
});

after(async () => {
  await stopAll(nodes);
  await lab?.destroy();
});

test('cisco-udp on port 10000 through the NAT: ping passes, the public side sees ESP in UDP 10000', {
  skip,
}, async () => {
  assert.ok(lab && K, 'lab was not created');
  const l = lab;
  const cap = await l.capture('gw', 'eth0');
  const listen = ['0.0.0.0:10000/cisco-udp'];
  const [client, gw] = await Promise.all([
    EspritNode.start(l, 'client', { routes: ['10.99.3.0/24'], listen }),
    EspritNode.start(l, 'gw', { routes: [`${LAB.client.lan4}/32`], listen }),
  ]);
  nodes.push(client, gw);
  const cfg = tunnelPair({
    keys: K,
    client: LAB.client.v4,
    gw: LAB.gw.v4,
    clientSeenByGw: LAB.natWan.v4,
    clientPort: 10000,
    gwPort: 10000,
    framing: 'cisco-udp',
    behindNat: true,
    selectors: [[`${LAB.client.lan4}/32`, '10.99.3.0/24']],
  });
  await client.setkey(cfg.client);
  await gw.setkey(cfg.gw);

  await waitForPing(l, 'client', LAB.client.lan4, LAB.gw.protected4);
  const p = await ping(l, 'client', LAB.client.lan4, LAB.gw.protected4, { count: 5 });
  assert.equal(p.received, 5, p.output);
  const sas = await gw.sas();
  const inbound = saBySpi(sas, K.clientToGw.spi);
  assert.equal(inbound?.framing, 'cisco-udp', JSON.stringify(sas));
  assert.equal(inbound?.peer?.address, LAB.natWan.v4);

  const pkts = await readCapture(await cap.stop(), [10000]);
  const s = summarize(pkts, 10000);
  assert.ok(s.espInUdp >= 10, `ESP in UDP 10000 (5 requests and replies at least), saw ${s.espInUdp}`);
  assert.equal(s.other.length, 0, `nothing but UDP 10000 (and ARP/ND):\n${describePackets(s.other)}`);
  const spis = new Set(pkts.filter((q) => q.espSpi).map((q) => Number.parseInt(q.espSpi ?? '', 16)));
  assert.deepEqual([...spis].sort(), [K.clientToGw.spi, K.gwToClient.spi].sort());
});
