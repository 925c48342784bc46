import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { LAB } from '../harness.js';
import { requireScenarioSystem } from './esprit-node.js';
import { IkeHost } from './ike-host.js';
import { ikev1Conf } from './ikev1-configs.js';
import { useLab } from './scenario.js';
import { type CapturedPacket, describePackets, ping, readCapture, waitForPing } from './traffic.js';

// The NAT-T drafts no third-party peer in the lab speaks, esprit client -> esprit gateway
// through the lab NAT (masquerade, random ports), each variant forced with `natt_mode` on the
// client (docs/ikev1.md "NAT traversal variants"), ping through the tunnel, and the capture
// on the gateway's public side read by tshark:
//  1. draft-ietf-ipsec-nat-t-ike-00 and -01: IKE stays on 500 and ESP goes on 500 behind the
//     8-byte zero non-IKE marker (draft-ietf-ipsec-udp-encaps-00 §2.1); nothing on 4500
//  2. draft-ietf-ipsec-nat-t-ike-02: NAT-D payloads of type 130 in MM3/MM4, the float to 4500
//     at MM5 (IKE behind the 4-byte non-ESP marker there), ESP right after the UDP header on
//     4500 (RFC 3948 framing), nothing of ESP on 500
const skip = requireScenarioSystem();
const scenario = useLab('ike1nt-', { skip });

const PSK = 'esprit-ikev1-natt-drafts-0123456789';
const conf = (side: 'client' | 'gw', natt = ''): string =>
  ikev1Conf(side, { psk: PSK, ike: natt ? `natt_mode = ${natt}` : '' });

/**
 * The payload types of a cleartext ISAKMP message (hex of the UDP payload from its first octet),
 * walked by hand from RFC 2408 §3.1 (Next Payload at octet 16, header 28 octets) and §3.2 (each
 * generic payload header: Next Payload, RESERVED, Payload Length).
 */
function payloads(hex: string): { type: number; body: string }[] {
  const b = Buffer.from(hex, 'hex');
  const out: { type: number; body: string }[] = [];
  let next = b[16] ?? 0;
  let o = 28;
  while (next !== 0 && o + 4 <= b.length) {
    const len = b.readUInt16BE(o + 2);
    out.push({ type: next, body: b.subarray(o + 4, o + len).toString('hex') });
    next = b[o] ?? 0;
    o += len;
  }
  return out;
}
const payloadTypes = (hex: string): number[] => payloads(hex).map((p) => p.type);

/**
 * The gateway's MM2 (the second datagram on 500) names the chosen variant with its Vendor ID
 * (type 13): the MD5 of the draft's name (protocol-facts §1.6), computed here with node:crypto.
 */
function assertChosenVid(pkts: readonly CapturedPacket[], draft: string): void {
  const mm2 = pkts.filter((q) => q.srcPort === 500 && q.src === LAB.gw.v4)[0];
  assert.ok(mm2, describePackets(pkts));
  const want = createHash('md5').update(`draft-ietf-ipsec-nat-t-ike-${draft}`).digest('hex');
  const vids = payloads(mm2.udpPayload)
    .filter((p) => p.type === 13)
    .map((p) => p.body);
  assert.ok(vids.includes(want), `MM2 carries the VID of nat-t-ike-${draft} (${want}): ${vids.join(' ')}`);
}

async function upAndPing(natt: string): Promise<{ pkts: CapturedPacket[]; spis: Set<number>; cs: unknown }> {
  const l = scenario.lab;
  const cap = await l.capture('gw', 'eth0', 'udp');
  const gw = await IkeHost.start(l, 'gw', conf('gw'));
  const client = await IkeHost.start(l, 'client', conf('client', natt));
  const why = () => `--- client ---\n${client.proc.stderr.slice(-6000)}\n--- gw ---\n${gw.proc.stderr.slice(-6000)}`;
  try {
    const up = await client.up('v1');
    assert.equal(up.code, 0, `esprit up failed: ${up.stdout}${up.stderr}\n${why()}`);
    const [cs] = await client.listSas();
    const [gs] = await gw.listSas();
    assert.ok(cs && gs, why());
    assert.equal(cs.localBehindNat, true, why());
    const spis = new Set<number>();
    for (const c of [...cs.children, ...gs.children]) {
      spis.add(Number.parseInt(String(c.spiIn), 16));
      spis.add(Number.parseInt(String(c.spiOut), 16));
    }
    await waitForPing(l, 'client', LAB.client.lan4, LAB.gw.protected4, 10);
    const p = await ping(l, 'client', LAB.client.lan4, LAB.gw.protected4, { count: 5 });
    assert.equal(p.received, 5, `${p.output}\n${why()}`);
    return { pkts: await readCapture(await cap.stop(), [], { payload: true }), spis, cs };
  } finally {
    await client.stop();
    await gw.stop();
  }
}

for (const natt of ['draft-00', 'draft-01']) {
  test(`NAT-T ${natt}: esprit client -> esprit gateway through the NAT, IKE and ESP on port 500, ESP behind the 8-byte non-IKE marker`, {
    skip,
  }, async () => {
    const { pkts, spis, cs } = await upAndPing(natt);
    const listed = JSON.stringify(cs);
    assert.ok(spis.size >= 2, listed);
    assertChosenVid(pkts, natt.slice('draft-'.length));
    let esp = 0;
    let ike = 0;
    for (const q of pkts) {
      assert.ok(q.srcPort === 500 || q.dstPort === 500, `only port 500, never 4500: ${describePackets([q])}`);
      if (q.udpPayload.startsWith('0000000000000000')) {
        // udp-encaps-00 §2.1: eight zero octets (where IKE has its initiator cookie), then ESP
        const spi = Number.parseInt(q.udpPayload.slice(16, 24), 16);
        assert.ok(spis.has(spi), `an SPI of the CHILD SA after the marker: 0x${spi.toString(16)} (${listed})`);
        esp++;
      } else {
        // RFC 2408 §3.1: major version 1 in octet 17
        assert.equal(q.udpPayload.slice(34, 35), '1', `IKEv1 header: ${q.udpPayload.slice(0, 56)}`);
        ike++;
      }
    }
    assert.ok(esp >= 10, `10 ESP datagrams at least (5 echoes each way) behind the marker, saw ${esp}`);
    assert.ok(ike >= 9, `Main Mode and Quick Mode on port 500, saw ${ike}`);
  });
}

test('NAT-T draft-02: esprit client -> esprit gateway through the NAT, NAT-D of type 130, the float to 4500 at MM5, ESP in UDP 4500', {
  skip,
}, async () => {
  const { pkts, spis, cs } = await upAndPing('draft-02');
  const listed = JSON.stringify(cs);
  assertChosenVid(pkts, '02');
  const on500 = pkts.filter((q) => q.srcPort === 500 || q.dstPort === 500);
  const on4500 = pkts.filter((q) => q.srcPort === 4500 || q.dstPort === 4500);
  // MM1-MM4 in clear on 500; MM3 and MM4 are KE (4), Nonce (10), NAT-D, NAT-D with the draft's type 130
  assert.equal(on500.length, 4, `four Main Mode messages on 500: ${describePackets(on500)}`);
  const mm3 = payloadTypes(on500[2]?.udpPayload ?? '');
  const mm4 = payloadTypes(on500[3]?.udpPayload ?? '');
  assert.deepEqual(mm3, [4, 10, 130, 130], `MM3 payloads ${mm3}`);
  assert.deepEqual(mm4, [4, 10, 130, 130], `MM4 payloads ${mm4}`);
  let ike = 0;
  let esp = 0;
  for (const q of on4500) {
    if (q.udpPayload === 'ff') continue; // RFC 3948 §2.3 NAT-keepalive
    if (q.udpPayload.startsWith('00000000')) {
      // the 4-byte non-ESP marker, then an IKEv1 header (MM5 on)
      assert.equal(q.udpPayload.slice(8 + 34, 8 + 35), '1', `IKEv1 behind the marker: ${q.udpPayload.slice(0, 64)}`);
      ike++;
    } else {
      const spi = Number.parseInt(q.udpPayload.slice(0, 8), 16);
      assert.ok(spis.has(spi), `ESP right after the UDP header: SPI 0x${spi.toString(16)} (${listed})`);
      esp++;
    }
  }
  assert.ok(ike >= 5, `MM5, MM6 and Quick Mode on 4500, saw ${ike}`);
  assert.ok(esp >= 10, `10 ESP datagrams at least on 4500, saw ${esp}`);
});
