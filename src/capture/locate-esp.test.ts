/**
 * locateEsp on hand-built packets, one per framing and port (RFC 4303 §2, RFC 3948 §2.1-2.3,
 * draft-ietf-ipsec-udp-encaps-00 §2.1, Cisco IPsec-over-UDP per docs/encapsulation.md).
 * The IPv4 header checksums of the hex below were computed by python3-scapy 2.5.0
 * (`raw(IP(src=..., dst=..., id=1, ttl=64)/...)`); headers with checksum 0000 leave it unset
 * (locateEsp does not check it); everything else is annotated by hand.
 * ESP body everywhere: SPI 0x00001001, Seq 1, "ESPBODY!".
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseSaEntry } from '../config/sa-file.js';
import type { SaConfig } from '../sad/sa-config.js';
import { fromHex, toHex } from '../util/hex.js';
import { type Located, locateEsp } from './locate-esp.js';

const ESP = '00001001 00000001 455350424f445921';
const hex = (s: string): Uint8Array => fromHex(s.replace(/\s+/g, ''));

const V4_SRC_DST = 'c0000201 c6336407'; // 192.0.2.1 -> 198.51.100.7
const V6_SRC_DST = '20010db8000000000000000000000010 20010db8000000000000000000000020'; // 2001:db8::10 -> ::20

/** IPv4 header, 20 bytes: ver/ihl tos | total len | id | flags/frag | ttl proto | checksum | src dst */
const v4 = (totalLen: string, proto: string, cksum: string, frag = '0000'): string =>
  `4500 ${totalLen} 0001 ${frag} 40${proto} ${cksum} ${V4_SRC_DST}`;
/** UDP header: sport dport length checksum(0) */
const udp = (sport: string, dport: string, len: string): string => `${sport} ${dport} ${len} 0000`;

const P = {
  // IP proto 50 (0x32), total 36
  rawV4: hex(`${v4('0024', '32', '8e6b')} ${ESP}`),
  // IPv6: ver/tc/flow | payload len 16 | next header 50 | hop limit 64 | src dst
  rawV6: hex(`60000000 0010 32 40 ${V6_SRC_DST} ${ESP}`),
  // UDP 4500 -> 4500 (0x1194), ESP right after UDP (RFC 3948 §2.1)
  natt: hex(`${v4('002c', '11', '8e84')} ${udp('1194', '1194', '0018')} ${ESP}`),
  // UDP 31000 (0x7918) -> 4500: the NAT rewrote the source port; checksum not checked by locateEsp
  nattNatPort: hex(`${v4('002c', '11', '8e84')} ${udp('7918', '1194', '0018')} ${ESP}`),
  // UDP 10000 -> 10000 (0x2710), Cisco IPsec over UDP: ESP right after UDP
  cisco: hex(`${v4('002c', '11', '8e84')} ${udp('2710', '2710', '0018')} ${ESP}`),
  // UDP 500 -> 500 (0x01f4), udp-encaps-00 §2.1: 8-byte Non-IKE marker, then ESP
  encaps00: hex(`${v4('0034', '11', '8e7c')} ${udp('01f4', '01f4', '0020')} 0000000000000000 ${ESP}`),
  // UDP 4500, Non-ESP marker 00000000 then a 28-byte IKE header (RFC 3948 §2.2)
  ikeMarker: hex(
    `${v4('003c', '11', '0000')} ${udp('1194', '1194', '0028')} 00000000 1122334455667788 0000000000000000 21202208 00000000 0000001c`,
  ),
  // UDP 500 -> 500: plain IKE header (RFC 7296 §2.23: no encapsulation on 500)
  ike500: hex(
    `${v4('0038', '11', '0000')} ${udp('01f4', '01f4', '0024')} 1122334455667788 0000000000000000 21202208 00000000 0000001c`,
  ),
  // NAT-keepalive, 1 byte FF (RFC 3948 §2.3), on 4500
  keepalive: hex(`${v4('001d', '11', '0000')} ${udp('1194', '1194', '0009')} ff`),
  // vpnc's cisco-udp keepalive 00 00 00 00 FF
  keepalive5: hex(`${v4('0021', '11', '0000')} ${udp('2710', '2710', '000d')} 00000000ff`),
  keepalive5On4500: hex(`${v4('0021', '11', '0000')} ${udp('1194', '1194', '000d')} 00000000ff`),
  // IPv4 fragment: MF set (flags 0x2000), proto 50
  frag4: hex(`${v4('0024', '32', '6e6b', '2000')} ${ESP}`),
  // IPv6 + Fragment header (44 = 0x2c): next header 50, offset 0, M=1, id 7
  frag6: hex(`60000000 0018 2c 40 ${V6_SRC_DST} 32 00 0001 00000007 ${ESP}`),
  // UDP length 0x0040 > the 16 bytes present: truncated
  udpTruncated: hex(`${v4('0024', '11', '0000')} ${udp('1194', '1194', '0040')} 00000000 00000000`),
  // UDP 5353 -> 53 (DNS), no SA on these ports
  dns: hex(`${v4('0024', '11', '0000')} ${udp('14e9', '0035', '0010')} 1234 0100 0000 0000`),
  // TCP (6): not ESP
  tcp: hex(`${v4('0028', '06', '0000')} 9c40 0050 00000001 00000000 5002 ffff 0000 0000`),
  // version 5: not IPv4/IPv6
  notIp: hex(`5500 0024 ${ESP} ${ESP}`),
};

let spi = 0x5000;
function sa(encap: object, dst = '198.51.100.7', src = '192.0.2.1'): SaConfig {
  spi++;
  return parseSaEntry(
    {
      spi,
      src,
      dst,
      mode: 'tunnel',
      encryption: { algorithm: 'aes-gcm-16', key: '00'.repeat(20) },
      encapsulation: encap,
    },
    'sa',
  );
}

const NATT = sa({ type: 'rfc3948', sport: 4500, dport: 4500 });
const CISCO = sa({ type: 'cisco-udp', sport: 10000, dport: 10000 });
const ENCAPS00 = sa({ type: 'udp-encaps-00', sport: 500, dport: 500 });
const RAW = sa({ type: 'none' });
const ALL = [NATT, CISCO, ENCAPS00, RAW];

function expectEsp(l: Located, udp: boolean, pkt: Uint8Array): void {
  assert.equal(l.kind, 'esp', JSON.stringify(l));
  if (l.kind !== 'esp') return;
  assert.equal(toHex(l.esp), ESP.replace(/\s/g, ''));
  assert.equal(l.udp, udp);
  assert.equal(toHex(l.packet), toHex(pkt));
}

function expectIgnored(l: Located, reason: string): void {
  assert.equal(l.kind, 'ignored');
  if (l.kind === 'ignored') assert.equal(l.reason, reason, l.detail);
}

test('raw ESP (IP protocol 50) over IPv4 and IPv6, with or without SAs', () => {
  for (const sas of [[], ALL]) {
    expectEsp(locateEsp(P.rawV4, sas), false, P.rawV4);
    const l = locateEsp(P.rawV6, sas);
    expectEsp(l, false, P.rawV6);
    if (l.kind === 'esp') {
      assert.equal(l.ip.version, 6);
      assert.equal(l.ip.headerLen, 40);
    }
  }
});

test('trailing link-layer padding is cut at the IP total length', () => {
  const padded = new Uint8Array(P.rawV4.length + 10);
  padded.set(P.rawV4);
  expectEsp(locateEsp(padded, ALL), false, P.rawV4);
});

test('rfc3948: ESP right after UDP 4500, also when a NAT rewrote the source port', () => {
  expectEsp(locateEsp(P.natt, [NATT]), true, P.natt);
  expectEsp(locateEsp(P.nattNatPort, [NATT]), true, P.nattNatPort);
  // no SA at all: 4500 is still NAT-T (RFC 3948 §2.1)
  expectEsp(locateEsp(P.natt, []), true, P.natt);
});

test('cisco-udp: ESP right after UDP on the SA port; not ESP without an SA for that port', () => {
  expectEsp(locateEsp(P.cisco, [CISCO]), true, P.cisco);
  expectEsp(locateEsp(P.cisco, ALL), true, P.cisco);
  expectIgnored(locateEsp(P.cisco, [NATT]), 'no-esp');
});

test('udp-encaps-00: ESP after the 8-byte Non-IKE marker on port 500 (SA present)', () => {
  expectEsp(locateEsp(P.encaps00, [ENCAPS00]), true, P.encaps00);
  expectEsp(locateEsp(P.encaps00, ALL), true, P.encaps00);
  // without a udp-encaps-00 SA, 500 is plain IKE; 8 zero bytes + 16 is a 24-byte "IKE" message
  expectIgnored(locateEsp(P.encaps00, [NATT]), 'bad-encap');
});

test('IKE: Non-ESP marker on 4500 and plain IKE on 500 (with and without an udp-encaps-00 SA)', () => {
  expectIgnored(locateEsp(P.ikeMarker, [NATT]), 'ike');
  expectIgnored(locateEsp(P.ikeMarker, []), 'ike');
  expectIgnored(locateEsp(P.ike500, []), 'ike');
  expectIgnored(locateEsp(P.ike500, [ENCAPS00]), 'ike');
});

test('keepalives: FF on any encapsulation port; 00000000FF on the cisco-udp port only', () => {
  expectIgnored(locateEsp(P.keepalive, [NATT]), 'keepalive');
  expectIgnored(locateEsp(P.keepalive, []), 'keepalive');
  expectIgnored(locateEsp(P.keepalive5, [CISCO]), 'keepalive');
  // on 4500 the zero word is the Non-ESP marker, and 1 byte is too short for IKE (RFC 3948 §2.2)
  expectIgnored(locateEsp(P.keepalive5On4500, [NATT]), 'bad-encap');
});

test('IP fragments (IPv4 MF, IPv6 Fragment header) are ignored: no reassembly', () => {
  expectIgnored(locateEsp(P.frag4, ALL), 'fragment');
  expectIgnored(locateEsp(P.frag6, ALL), 'fragment');
});

test('not ESP: other UDP ports, TCP; malformed: not IP, truncated UDP, empty', () => {
  expectIgnored(locateEsp(P.dns, ALL), 'no-esp');
  expectIgnored(locateEsp(P.tcp, ALL), 'no-esp');
  expectIgnored(locateEsp(P.notIp, ALL), 'malformed');
  expectIgnored(locateEsp(P.udpTruncated, ALL), 'malformed');
  expectIgnored(locateEsp(new Uint8Array(0), ALL), 'malformed');
  // IPv4 total length beyond the captured bytes
  expectIgnored(locateEsp(P.rawV4.subarray(0, 30), ALL), 'malformed');
});

test('property: any bytes and any truncation of the packets above never throw', () => {
  const samples = Object.values(P);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 80 }), (b) => {
      locateEsp(b, ALL);
    }),
    { numRuns: 300 },
  );
  for (const p of samples) for (let n = 0; n <= p.length; n++) locateEsp(p.subarray(0, n), ALL);
});
