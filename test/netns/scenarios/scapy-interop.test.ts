import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { LAB, Lab, newPrefix } from '../harness.js';
import { EspritNode, requireScenarioSystem, saBySpi, stopAll } from './esprit-node.js';
import { KEYS, tunnelPair } from './setkey-config.js';

// Scenario 5: interop with an independent ESP implementation on the wire. scapy
// (scapy-peer.py, run by /usr/bin/python3 in the client namespace) holds the client's half of
// the SA pair; a live esprit ipsecd holds the gw's. scapy encrypts ICMP echo requests
// (RFC 4106 AES-GCM, RFC 3948 UDP 4500) → NAT → ipsecd decrypts onto the TUN → the gw kernel
// answers → ipsecd encrypts → NAT → scapy decrypts the replies. Then a tampered packet and a
// replayed one must be dropped (icv, replay) without an answer.
const PYTHON = '/usr/bin/python3';
const PEER = fileURLToPath(new URL('../../../../test/netns/scenarios/scapy-peer.py', import.meta.url));
const skip = requireScenarioSystem([PYTHON]);
const K = KEYS[0];
const COUNT = 3;

let lab: Lab | undefined;
const nodes: EspritNode[] = [];

before(async () => {
  if (skip) return;
  lab = await Lab.create({ prefix: `${newPrefix()}scapy-`, natPorts: 'random' });
});

after(async () => {
  await stopAll(nodes);
  await lab?.destroy();
});

interface Reply {
  src: string;
  dst: string;
  type: number;
  id: number;
  seq: number;
  data: string;
}

test('scapy (client, behind the NAT) and ipsecd (gw) exchange ESP-in-UDP both ways', { skip }, async () => {
  assert.ok(lab && K, 'lab was not created');
  const l = lab;
  const gw = await EspritNode.start(l, 'gw', { routes: [`${LAB.client.lan4}/32`] });
  nodes.push(gw);
  const cfg = tunnelPair({
    keys: K,
    client: LAB.client.v4,
    gw: LAB.gw.v4,
    clientSeenByGw: LAB.natWan.v4,
    clientPort: 4500,
    gwPort: 4500,
    framing: 'rfc3948',
    behindNat: true,
    selectors: [[`${LAB.client.lan4}/32`, '10.99.3.0/24']],
  });
  await gw.setkey(cfg.gw);

  const arg = JSON.stringify({
    local: LAB.client.v4,
    gw: LAB.gw.v4,
    innerSrc: LAB.client.lan4,
    innerDst: LAB.gw.protected4,
    count: COUNT,
    out: { spi: K.clientToGw.spi, key: K.clientToGw.key },
    in: { spi: K.gwToClient.spi, key: K.gwToClient.key },
  });
  const peer = l.spawn('client', [PYTHON, PEER, arg]);
  const doneLine = await peer.waitForLine(/"done"/, 20_000);
  const msgs = peer.json() as Record<string, unknown>[];
  const errors = msgs.filter((m) => 'error' in m);
  assert.deepEqual(errors, [], `scapy decrypted everything it received; stderr: ${peer.stderr}`);
  const replies = msgs.filter((m) => 'reply' in m).map((m) => m.reply as Reply);
  assert.deepEqual(
    replies.map((r) => [r.src, r.dst, r.type, r.id, r.seq, r.data]),
    Array.from({ length: COUNT }, (_, i) => [
      LAB.gw.protected4,
      LAB.client.lan4,
      0, // RFC 792: echo reply
      0x4242,
      i + 1,
      `esprit-scapy-${i + 1}`,
    ]),
  );
  const done = (JSON.parse(doneLine) as { done: { replies: number; afterBad: number } }).done;
  assert.deepEqual(done, { replies: COUNT, afterBad: 0 });

  const sas = await gw.sas();
  const inbound = saBySpi(sas, K.clientToGw.spi);
  const outbound = saBySpi(sas, K.gwToClient.spi);
  assert.equal(inbound?.packets, COUNT, JSON.stringify(inbound));
  assert.equal(outbound?.packets, COUNT, JSON.stringify(outbound));
  assert.equal(inbound?.drops?.icv, 1, `the tampered packet: ${JSON.stringify(inbound)}`);
  assert.equal(inbound?.drops?.replay, 1, `the replayed packet: ${JSON.stringify(inbound)}`);
});
