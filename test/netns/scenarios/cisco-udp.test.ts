import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LAB } from '../harness.js';
import { requireScenarioSystem, saBySpi } from './esprit-node.js';
import { keysAt, natTunnel, pingsPass, useLab } from './scenario.js';
import { KEYS } from './setkey-config.js';
import { describePackets, readCapture, summarize } from './traffic.js';

// Scenario 2b: Cisco UDP encapsulation (vpnc "Cisco UDP"): ESP right after the UDP header
// on port 10000, both ends listening on 10000 with role cisco-udp.
const skip = requireScenarioSystem();
const K = keysAt(KEYS, 0);
const scenario = useLab('cisco-', { skip });

test('cisco-udp on port 10000 through the NAT: ping passes, the public side sees ESP in UDP 10000', {
  skip,
}, async () => {
  const l = scenario.lab;
  const cap = await l.capture('gw', 'eth0');
  const listen = ['0.0.0.0:10000/cisco-udp'];
  const { gw } = await scenario.startKeyedPair({
    client: { listen },
    gw: { listen },
    tunnel: natTunnel(K, { port: 10000, framing: 'cisco-udp' }),
  });

  await pingsPass(l, 5);
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
