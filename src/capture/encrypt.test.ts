/**
 * encryptCapture / outerPacket framing for each encapsulation (RFC 4303 §3.1, RFC 3948 §2.1,
 * draft-ietf-ipsec-udp-encaps-00 §2.1, Cisco IPsec over UDP). A stub engine returns a fixed
 * 16-byte ESP packet (SPI 0x1001, Seq 1, "ESPBODY!"), so the expected outer packets are
 * independent of the cipher. Expected bytes from python3-scapy 2.5.0, e.g.
 *   raw(IP(src='192.0.2.1', dst='198.51.100.7', id=1, ttl=64, tos=0x10)/UDP(sport=4500, dport=4500, chksum=0)/Raw(esp))
 *   raw(IPv6(src='2001:db8::10', dst='2001:db8::20', hlim=64, tc=0x10)/UDP(sport=4500, dport=4500)/Raw(esp))
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSaEntry } from '../config/sa-file.js';
import type { SealResult } from '../esp/types.js';
import type { SaConfig } from '../sad/sa-config.js';
import { fromHex, toHex } from '../util/hex.js';
import { decodeIpPacket } from '../wire/ip/ip-packet.js';
import { decodeUdp, udpChecksumOk } from '../wire/ip/udp.js';
import type { CapturePacket } from '../wire/pcap/capture-packet.js';
import { encryptCapture, type OutboundSa } from './encrypt.js';

const hex = (s: string): Uint8Array => fromHex(s.replace(/\s+/g, ''));
const ESP = '00001001 00000001 455350424f445921';

/** Seals every packet to the same ESP bytes; records what it was asked to seal. */
function stub(calls: { nh: number; payload: string }[]): OutboundSa {
  const esp = hex(ESP);
  return {
    maxSealLength: (n) => n + 64,
    seal(nh, payload, out): SealResult {
      calls.push({ nh, payload: toHex(payload) });
      out.set(esp);
      return { ok: true, length: esp.length, seqHi: 0, seqLo: 1, seq: 1n, lifetime: undefined };
    },
  };
}

function sa(family: 4 | 6, mode: string, encapsulation: object): SaConfig {
  return parseSaEntry(
    {
      spi: '0x1001',
      src: family === 4 ? '192.0.2.1' : '2001:db8::10',
      dst: family === 4 ? '198.51.100.7' : '2001:db8::20',
      mode,
      encryption: { algorithm: 'aes-gcm-16', key: '00'.repeat(20) },
      encapsulation,
    },
    'sa',
  );
}

const cap = (data: Uint8Array, linkType = 101): CapturePacket[] => [
  { index: 0, interfaceId: 0, linkType, timestampNs: 7n, origLen: data.length, data },
];

// IPv4 10.1.0.1 -> 10.2.0.1, TOS 0x10, id 0x1234, DF, TTL 37, UDP 1234 -> 5678 "hi" (scapy)
const PLAIN4 = hex('4510 001e 1234 4000 2511 2f87 0a010001 0a020001  04d2 162e 000a 686c  6869');

const NONE = { type: 'none' };
const NATT = { type: 'rfc3948', sport: 4500, dport: 4500 };
const ENCAPS00 = { type: 'udp-encaps-00', sport: 500, dport: 500 };
const CISCO = { type: 'cisco-udp', sport: 10000, dport: 10000 };

// tunnel mode outer headers: TTL 64, TOS copied from the inner packet (0x10), IPv4 id = Seq & 0xffff
const TUNNEL: { name: string; family: 4 | 6; encap: object; want: string }[] = [
  {
    name: 'none/IPv4: IP protocol 50',
    family: 4,
    encap: NONE,
    want: `4510 0024 0001 0000 4032 8e5b c0000201 c6336407 ${ESP}`,
  },
  {
    name: 'rfc3948/IPv4: UDP 4500, checksum 0 (RFC 3948 §2.1)',
    family: 4,
    encap: NATT,
    want: `4510 002c 0001 0000 4011 8e74 c0000201 c6336407  1194 1194 0018 0000  ${ESP}`,
  },
  {
    name: 'udp-encaps-00/IPv4: UDP 500, 8-byte Non-IKE marker',
    family: 4,
    encap: ENCAPS00,
    want: `4510 0034 0001 0000 4011 8e6c c0000201 c6336407  01f4 01f4 0020 0000  0000000000000000 ${ESP}`,
  },
  {
    name: 'cisco-udp/IPv4: UDP 10000, ESP right after UDP',
    family: 4,
    encap: CISCO,
    want: `4510 002c 0001 0000 4011 8e74 c0000201 c6336407  2710 2710 0018 0000  ${ESP}`,
  },
  {
    name: 'rfc3948/IPv6: UDP checksum computed (RFC 8200 §8.1)',
    family: 6,
    encap: NATT,
    want: `6100 0000 0018 11 40 20010db8000000000000000000000010 20010db8000000000000000000000020  1194 1194 0018 32f7  ${ESP}`,
  },
  {
    name: 'udp-encaps-00/IPv6: marker, checksum computed',
    family: 6,
    encap: ENCAPS00,
    want: `6100 0000 0020 11 40 20010db8000000000000000000000010 20010db8000000000000000000000020  01f4 01f4 0020 5227  0000000000000000 ${ESP}`,
  },
];

for (const c of TUNNEL) {
  test(`tunnel ${c.name}`, () => {
    const calls: { nh: number; payload: string }[] = [];
    const r = encryptCapture(cap(PLAIN4), sa(c.family, 'tunnel', c.encap), stub(calls));
    assert.deepEqual(r.summary, { packets: 1, encrypted: 1, skipped: {}, dropped: {} });
    assert.deepEqual(calls, [{ nh: 4, payload: toHex(PLAIN4) }]); // RFC 4303 §2.6: NH 4, the whole packet
    const out = r.records[0]?.data ?? new Uint8Array(0);
    assert.equal(r.records[0]?.timestampNs, 7n);
    assert.equal(toHex(out), toHex(hex(c.want)));
    const ip = decodeIpPacket(out);
    if (ip.protocol === 17) {
      const seg = out.subarray(ip.headerLen, ip.totalLen);
      assert.equal(udpChecksumOk(ip.src, ip.dst, seg), true);
      assert.equal(decodeUdp(seg).checksum === 0, c.family === 4);
    }
  });
}

test('transport mode: upper-layer payload with NH = protocol; TTL, TOS, id and DF kept', () => {
  const calls: { nh: number; payload: string }[] = [];
  const r = encryptCapture(cap(PLAIN4), sa(4, 'transport', NATT), stub(calls));
  assert.deepEqual(calls, [{ nh: 17, payload: '04d2162e000a686c6869' }]);
  // scapy: IP(src='192.0.2.1', dst='198.51.100.7', id=0x1234, ttl=37, tos=0x10, flags='DF')/UDP(4500, 4500, chksum=0)/esp
  assert.equal(
    toHex(r.records[0]?.data ?? new Uint8Array(0)),
    toHex(hex(`4510 002c 1234 4000 2511 5741 c0000201 c6336407  1194 1194 0018 0000  ${ESP}`)),
  );
});

test('skips: non-IP, malformed, IPv4 in an IPv6 transport SA, fragments; engine drops counted', () => {
  const frag = PLAIN4.slice();
  frag[6] = 0x20; // MF
  const frames = [hex('5500 0014'), hex('4500 00ff 0000'), PLAIN4];
  const packets = frames.map((data, index) => ({ ...(cap(data)[0] as CapturePacket), index }));
  const v6 = encryptCapture(packets, sa(6, 'transport', NONE), stub([]));
  assert.deepEqual(v6.summary, {
    packets: 3,
    encrypted: 0,
    skipped: { 'non-ip': 1, malformed: 1, 'family-mismatch': 1 },
    dropped: {},
  });
  const f = encryptCapture(cap(frag), sa(4, 'transport', NONE), stub([]));
  assert.deepEqual(f.summary.skipped, { fragment: 1 });
  const dropping: OutboundSa = { maxSealLength: (n) => n + 64, seal: () => ({ ok: false, reason: 'seq-overflow' }) };
  const d = encryptCapture(cap(PLAIN4), sa(4, 'tunnel', NONE), dropping);
  assert.deepEqual(d.summary, { packets: 1, encrypted: 0, skipped: {}, dropped: { 'seq-overflow': 1 } });
  assert.equal(d.records.length, 0);
});
