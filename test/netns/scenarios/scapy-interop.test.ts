import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { LAB } from '../harness.js';
import { EspritNode, requireScenarioSystem, saBySpi } from './esprit-node.js';
import { GW_NODE, keysAt, natTunnel, useLab } from './scenario.js';
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
const K = keysAt(KEYS, 0);
const COUNT = 3;
const scenario = useLab('scapy-', { skip });

interface Reply {
  src: string;
  dst: string;
  type: number;
  id: number;
  seq: number;
  data: string;
}

test('scapy (client, behind the NAT) and ipsecd (gw) exchange ESP-in-UDP both ways', { skip }, async () => {
  const l = scenario.lab;
  const gw = await EspritNode.start(l, 'gw', GW_NODE);
  scenario.nodes.push(gw);
  await gw.setkey(tunnelPair(natTunnel(K)).gw);

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
