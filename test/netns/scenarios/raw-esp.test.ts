import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LAB } from '../harness.js';
import { requireScenarioSystem, saBySpi } from './esprit-node.js';
import { GW_LAN4, keysAt, pingsPass, useLab } from './scenario.js';
import { KEYS } from './setkey-config.js';
import { describePackets, readCapture, summarize } from './traffic.js';

// Scenario 2c: plain ESP (IP protocol 50, RFC 4303) with no NAT in the path. The lab's nat
// namespace becomes a plain router: its nftables table (masquerade and the stateful forward
// filter) is deleted and gw gets a route back to the client LAN, so ESP arrives at the gw
// from the client's own address 10.99.1.2.
//
//   client 10.99.1.2 ──(router, no NAT)── 10.99.2.2 gw, ESP proto 50 between them
const skip = requireScenarioSystem();
const K = keysAt(KEYS, 0);
const scenario = useLab('resp-', {
  skip,
  setup: async (lab) => {
    await lab.exec('nat', ['nft', 'delete', 'table', 'inet', 'labnat']);
    await lab.exec('gw', ['ip', 'route', 'add', '10.99.1.0/24', 'via', LAB.natWan.v4]);
  },
});

test('raw ESP without a NAT: ping passes, the wire carries IP protocol 50 from the real address', {
  skip,
}, async () => {
  const l = scenario.lab;
  const cap = await l.capture('gw', 'eth0');
  const { gw } = await scenario.startKeyedPair({
    tunnel: { keys: K, client: LAB.client.v4, gw: LAB.gw.v4, selectors: [[`${LAB.client.lan4}/32`, GW_LAN4]] },
  });

  await pingsPass(l, 5);
  const sa = saBySpi(await gw.sas(), K.clientToGw.spi);
  assert.ok(sa, 'gw status lists the inbound SA');
  assert.ok((sa.packets ?? 0) >= 5, JSON.stringify(sa));

  const pkts = await readCapture(await cap.stop(), []);
  const s = summarize(pkts);
  assert.ok(s.rawEsp >= 10, `raw ESP (5 requests and replies at least), saw ${s.rawEsp}`);
  assert.equal(s.espInUdp, 0);
  assert.equal(s.other.length, 0, `nothing but ESP (and ARP/ND):\n${describePackets(s.other)}`);
  for (const q of pkts.filter((x) => /:esp$/.test(x.protocols))) {
    assert.ok(
      (q.src === LAB.client.v4 && q.dst === LAB.gw.v4) || (q.src === LAB.gw.v4 && q.dst === LAB.client.v4),
      `ESP between the real addresses (no NAT): ${describePackets([q])}`,
    );
  }
});
