/**
 * wiresharkEspSa against the Wireshark 4.0 esp_sa UAT format (epan/dissectors/packet-ipsec.c:
 * the 8 UAT fields of uat_esp_sa_record_t; algorithm names are the value_string texts of
 * esp_encryption_type_vals / esp_authentication_type_vals, copied from that file by hand).
 * tshark itself reads such lines in test/interop/cli-pcap.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSaEntry } from '../config/sa-file.js';
import { wiresharkEspSa } from './wireshark-uat.js';

const K = (n: number, from = 0): string =>
  Array.from({ length: n }, (_, i) => ((from + i) & 0xff).toString(16).padStart(2, '0')).join('');

function line(o: Record<string, unknown>): ReturnType<typeof wiresharkEspSa> {
  return wiresharkEspSa(
    parseSaEntry({ spi: '0xc0de', src: '192.0.2.1', dst: '198.51.100.7', mode: 'tunnel', ...o }, 'sa'),
  );
}

const GCM_KEY = `${K(16)}cafebabe`; // AES-128 key + 4-byte salt (RFC 4106 §8.1)

const SUPPORTED: { name: string; sa: Record<string, unknown>; want: string }[] = [
  {
    name: 'aes-gcm-16, IPv4',
    sa: { encryption: { algorithm: 'aes-gcm-16', key: GCM_KEY } },
    want: `"IPv4","192.0.2.1","198.51.100.7","0x0000c0de","AES-GCM with 16 octet ICV [RFC4106]","0x${GCM_KEY}","NULL",""`,
  },
  {
    name: 'aes-gcm-12',
    sa: { encryption: { algorithm: 'aes-gcm-12', key: GCM_KEY } },
    want: `"IPv4","192.0.2.1","198.51.100.7","0x0000c0de","AES-GCM with 12 octet ICV [RFC4106]","0x${GCM_KEY}","NULL",""`,
  },
  {
    name: 'aes-gcm-8, AES-256',
    sa: { encryption: { algorithm: 'aes-gcm-8', key: `${K(32)}01020304` } },
    want: `"IPv4","192.0.2.1","198.51.100.7","0x0000c0de","AES-GCM with 8 octet ICV [RFC4106]","0x${K(32)}01020304","NULL",""`,
  },
  {
    name: 'aes-cbc + hmac-sha256-128, IPv6',
    sa: {
      src: '2001:db8::10',
      dst: '2001:db8::20',
      spi: 4097,
      encryption: { algorithm: 'aes-cbc', key: K(32, 0x20) },
      integrity: { algorithm: 'hmac-sha256-128', key: K(32, 0x40) },
    },
    want: `"IPv6","2001:db8::10","2001:db8::20","0x00001001","AES-CBC [RFC3602]","0x${K(32, 0x20)}","HMAC-SHA-256-128 [RFC4868]","0x${K(32, 0x40)}"`,
  },
  {
    name: '3des-cbc + hmac-sha1-96',
    sa: {
      encryption: { algorithm: '3des-cbc', key: K(24) },
      integrity: { algorithm: 'hmac-sha1-96', key: K(20, 0x80) },
    },
    want: `"IPv4","192.0.2.1","198.51.100.7","0x0000c0de","TripleDES-CBC [RFC2451]","0x${K(24)}","HMAC-SHA-1-96 [RFC2404]","0x${K(20, 0x80)}"`,
  },
  {
    name: 'aes-cbc + hmac-md5-96',
    sa: { encryption: { algorithm: 'aes-cbc', key: K(16) }, integrity: { algorithm: 'hmac-md5-96', key: K(16, 1) } },
    want: `"IPv4","192.0.2.1","198.51.100.7","0x0000c0de","AES-CBC [RFC3602]","0x${K(16)}","HMAC-MD5-96 [RFC2403]","0x${K(16, 1)}"`,
  },
  {
    name: 'aes-cbc + hmac-sha384-192',
    sa: { encryption: { algorithm: 'aes-cbc', key: K(16) }, integrity: { algorithm: 'hmac-sha384-192', key: K(48) } },
    want: `"IPv4","192.0.2.1","198.51.100.7","0x0000c0de","AES-CBC [RFC3602]","0x${K(16)}","HMAC-SHA-384-192 [RFC4868]","0x${K(48)}"`,
  },
  {
    name: 'null + hmac-sha512-256, SPI 0xffffffff',
    sa: {
      spi: '0xffffffff',
      encryption: { algorithm: 'null' },
      integrity: { algorithm: 'hmac-sha512-256', key: K(64) },
    },
    want: `"IPv4","192.0.2.1","198.51.100.7","0xffffffff","NULL","","HMAC-SHA-512-256 [RFC4868]","0x${K(64)}"`,
  },
];

for (const c of SUPPORTED) {
  test(`esp_sa UAT line: ${c.name}`, () => {
    assert.deepEqual(line(c.sa), { ok: true, line: c.want });
  });
}

test('unsupported by Wireshark 4.0: ChaCha20-Poly1305, AES-GMAC, ESN; with the reason', () => {
  assert.deepEqual(line({ encryption: { algorithm: 'chacha20-poly1305', key: K(36) } }), {
    ok: false,
    reason: 'Wireshark 4.0 cannot decrypt ESP with chacha20-poly1305',
  });
  assert.deepEqual(line({ encryption: { algorithm: 'aes-gmac', key: GCM_KEY } }), {
    ok: false,
    reason: 'Wireshark 4.0 cannot decrypt ESP with aes-gmac',
  });
  assert.deepEqual(line({ encryption: { algorithm: 'aes-gcm-16', key: GCM_KEY }, esn: true }), {
    ok: false,
    reason: 'Wireshark 4.0 does not support extended sequence numbers (RFC 4303 §2.2.1)',
  });
});
