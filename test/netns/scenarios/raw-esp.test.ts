import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { LAB, Lab, newPrefix } from '../harness.js';
import { EspritNode, requireScenarioSystem, saBySpi, stopAll } from './esprit-node.js';
import { KEYS, tunnelPair } from './setkey-config.js';
import { describePackets, ping, readCapture, summarize, waitForPing } from './traffic.js';

// Scenario 2c: plain ESP (IP protocol 50, RFC 4303) with no NAT in the path. The lab's nat
// namespace becomes a plain router: its nftables table (masquerade and the stateful forward
// filter) is deleted and gw gets a route back to the client LAN, so ESP arrives at the gw
// from the client's own address 10.99.1.2.
//
//   client 10.99.1.2 ──(router, no NAT)── 10.99.2.2 gw, ESP proto 50 between them
const skip = requireScenarioSystem();
const K = KEYS[0];

let lab: Lab | undefined;
const nodes: EspritNode[] = [];

before(async () => {
  if (skip) return;
  lab = await Lab.create({ prefix: `${newPrefix()}resp-`, natPorts: 'random' });
  await lab.exec('nat', ['nft', 'delete', 'table', 'inet', 'labnat']);
  await lab.exec('gw', ['ip', 'route', 'add', '10.99.1.0/24', 'via', LAB.natWan.v4]);
});

after(async () => {
  await stopAll(nodes);
  await lab?.destroy();
});

test('raw ESP without a NAT: ping passes, the wire carries IP protocol 50 from the real address', {
  skip,
}, async () => {
  assert.ok(lab && K, 'lab was not created');
  const l = lab;
  const cap = await l.capture('gw', 'eth0');
  const [client, gw] = await Promise.all([
    EspritNode.start(l, 'client', { routes: ['10.99.3.0/24'] }),
    EspritNode.start(l, 'gw', { routes: [`${LAB.client.lan4}/32`] }),
  ]);
  nodes.push(client, gw);
  const cfg = tunnelPair({
    keys: K,
    client: LAB.client.v4,
    gw: LAB.gw.v4,
    selectors: [[`${LAB.client.lan4}/32`, '10.99.3.0/24']],
  });
  await client.setkey(cfg.client);
  await gw.setkey(cfg.gw);

  await waitForPing(l, 'client', LAB.client.lan4, LAB.gw.protected4);
  const p = await ping(l, 'client', LAB.client.lan4, LAB.gw.protected4, { count: 5 });
  assert.equal(p.received, 5, p.output);
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
