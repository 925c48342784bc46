import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { LAB, Lab, newPrefix } from '../harness.js';
import { EspritNode, requireScenarioSystem, saBySpi, stopAll } from './esprit-node.js';
import { KEYS, tunnelPair } from './setkey-config.js';
import { describePackets, ping, readCapture, waitForPing } from './traffic.js';

// Scenario 2a: draft-ietf-ipsec-udp-encaps-00 framing through the NAT: ESP on UDP port 500
// behind the 8-byte Non-IKE Marker (draft §2.1: eight zero octets where an IKE header would
// carry its initiator cookie), served by ipsecd's default 500 listener (role ike-encaps-00).
const skip = requireScenarioSystem();
const K = KEYS[0];

let lab: Lab | undefined;
const nodes: EspritNode[] = [];

before(async () => {
  if (skip) return;
  lab = await Lab.create({ prefix: `${newPrefix()}ue00-`, natPorts: 'random' });
});

after(async () => {
  await stopAll(nodes);
  await lab?.destroy();
});

test('udp-encaps-00 on port 500 through the NAT: ping passes, every datagram is marker + ESP', { skip }, async () => {
  assert.ok(lab && K, 'lab was not created');
  const l = lab;
  const cap = await l.capture('gw', 'eth0', 'udp');
  const [client, gw] = await Promise.all([
    EspritNode.start(l, 'client', { routes: ['10.99.3.0/24'] }),
    EspritNode.start(l, 'gw', { routes: [`${LAB.client.lan4}/32`] }),
  ]);
  nodes.push(client, gw);
  const cfg = tunnelPair({
    keys: K,
    client: LAB.client.v4,
    gw: LAB.gw.v4,
    clientSeenByGw: LAB.natWan.v4,
    clientPort: 500,
    gwPort: 500,
    framing: 'udp-encaps-00',
    behindNat: true,
    selectors: [[`${LAB.client.lan4}/32`, '10.99.3.0/24']],
  });
  await client.setkey(cfg.client);
  await gw.setkey(cfg.gw);

  await waitForPing(l, 'client', LAB.client.lan4, LAB.gw.protected4);
  const p = await ping(l, 'client', LAB.client.lan4, LAB.gw.protected4, { count: 5 });
  assert.equal(p.received, 5, p.output);
  const sa = saBySpi(await gw.sas(), K.clientToGw.spi);
  assert.equal(sa?.framing, 'udp-encaps-00', JSON.stringify(sa));

  const pkts = await readCapture(await cap.stop(), [], { payload: true });
  const ours = new Set([K.clientToGw.spi, K.gwToClient.spi]);
  let esp = 0;
  for (const q of pkts) {
    assert.ok(q.srcPort === 500 || q.dstPort === 500, `only port 500: ${describePackets([q])}`);
    // draft-ietf-ipsec-udp-encaps-00 §2.1: 0000000000000000 | SPI | sequence number | ...
    assert.equal(q.udpPayload.slice(0, 16), '0000000000000000', `Non-IKE Marker: ${q.udpPayload.slice(0, 32)}`);
    const spi = Number.parseInt(q.udpPayload.slice(16, 24), 16);
    assert.ok(ours.has(spi), `an SPI of ours after the marker: 0x${spi.toString(16)}`);
    esp++;
  }
  assert.ok(esp >= 10, `10 ESP datagrams (5 echo requests and replies) at least, saw ${esp}`);
});
