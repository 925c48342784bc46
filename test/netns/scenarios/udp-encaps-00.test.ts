import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requireScenarioSystem, saBySpi } from './esprit-node.js';
import { keysAt, natTunnel, pingsPass, useLab } from './scenario.js';
import { KEYS } from './setkey-config.js';
import { describePackets, readCapture } from './traffic.js';

// Scenario 2a: draft-ietf-ipsec-udp-encaps-00 framing through the NAT: ESP on UDP port 500
// behind the 8-byte Non-IKE Marker (draft §2.1: eight zero octets where an IKE header would
// carry its initiator cookie), served by ipsecd's default 500 listener (role ike-encaps-00).
const skip = requireScenarioSystem();
const K = keysAt(KEYS, 0);
const scenario = useLab('ue00-', { skip });

test('udp-encaps-00 on port 500 through the NAT: ping passes, every datagram is marker + ESP', { skip }, async () => {
  const l = scenario.lab;
  const cap = await l.capture('gw', 'eth0', 'udp');
  const { gw } = await scenario.startKeyedPair({ tunnel: natTunnel(K, { port: 500, framing: 'udp-encaps-00' }) });

  await pingsPass(l, 5);
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
