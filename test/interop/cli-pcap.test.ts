/**
 * `esprit pcap decrypt|encrypt` and `esprit sa wireshark` end to end through the CLI:
 * - the scapy-made fixture test/fixtures/pcap/esp-mixed.pcapng (Ethernet, pcapng; made by
 *   test/fixtures/make-fixtures.py): IKE, keepalive, 3 ESP-in-UDP packets plus a replay and a
 *   forged copy, ARP, DNS, one IPv6 transport-mode ESP; output compared with scapy's plaintext
 * - tshark 4.0 decrypts esprit's `pcap encrypt` output with the `sa wireshark` lines
 * - a bad SA file exits non-zero naming the file, the SA index and the field.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { toHex } from '../../src/util/hex.js';
import { decodePcap } from '../../src/wire/pcap/pcap-file.js';
import { FIXTURES } from '../util/fixtures.js';
import { requireTshark, runCli } from '../util/tools.js';

const dir = mkdtempSync(join(tmpdir(), 'esprit-cli-'));
const SA = join(FIXTURES, 'pcap', 'esp-mixed.sa.json');
const IN = join(FIXTURES, 'pcap', 'esp-mixed.pcapng');
const manifest = JSON.parse(readFileSync(join(FIXTURES, 'pcap', 'manifest.json'), 'utf8')) as Record<
  string,
  { decrypted?: string[] }
>;

test('pcap decrypt: fixture capture -> inner packets equal to scapy plaintext; replay and forgery dropped', () => {
  const out = join(dir, 'dec.pcap');
  const r = runCli(['pcap', 'decrypt', '--json', '--sa', SA, IN, out]);
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.equal(s.packets, 10);
  assert.equal(s.decrypted, 4);
  assert.equal(s.unmatched, 0);
  assert.deepEqual(s.ignored, { ike: 1, keepalive: 1, 'non-ip': 1, 'no-esp': 1 });
  assert.deepEqual(s.sas[0], {
    index: 0,
    spi: '0x0000c0de',
    dst: '198.51.100.7',
    decrypted: 3,
    dropped: { replay: 1, icv: 1 },
  });
  assert.deepEqual(s.sas[1], { index: 1, spi: '0x00001001', dst: '2001:db8::20', decrypted: 1, dropped: {} });
  const f = decodePcap(new Uint8Array(readFileSync(out)));
  assert.equal(f.linkType, 101);
  assert.deepEqual(
    f.packets.map((p) => toHex(p.data)),
    manifest['esp-mixed.pcapng']?.decrypted,
  );
  const text = runCli(['pcap', 'decrypt', '--sa', SA, IN, join(dir, 'dec2.pcap')]);
  assert.match(
    text.stdout,
    /sas\[0\] SPI 0x0000c0de 192\.0\.2\.1 -> 198\.51\.100\.7 \(tunnel\): decrypted 3, dropped: replay 1, icv 1/,
  );
  assert.match(text.stdout, /ignored: ike 1, keepalive 1, non-ip 1, no-esp 1/);
});

test('bad SA file and unreadable input: exit 1 with the file, SA index and field', () => {
  const bad = JSON.parse(readFileSync(SA, 'utf8'));
  bad.sas[1].encryption.key = 'abcd';
  const badPath = join(dir, 'bad.sa.json');
  writeFileSync(badPath, JSON.stringify(bad));
  const r = runCli(['pcap', 'decrypt', '--sa', badPath, IN, join(dir, 'x.pcap')]);
  assert.equal(r.status, 1);
  assert.match(
    r.stderr,
    new RegExp(`${badPath.replace(/[.]/g, '\\.')}: sas\\[1\\]\\.encryption\\.key: aes-cbc needs 16 or 24 or 32 bytes`),
  );
  const r2 = runCli(['pcap', 'decrypt', '--sa', SA, join(dir, 'missing.pcap'), join(dir, 'x.pcap')]);
  assert.equal(r2.status, 1);
  assert.match(r2.stderr, /missing\.pcap: cannot read capture/);
  const junk = join(dir, 'junk.pcap');
  writeFileSync(junk, 'not a capture');
  const r3 = runCli(['pcap', 'decrypt', '--sa', SA, junk, join(dir, 'x.pcap')]);
  assert.equal(r3.status, 1);
  assert.match(r3.stderr, /junk\.pcap: capture\.magic: neither a pcap nor a pcapng file/);
  assert.equal(runCli(['pcap', 'decrypt', IN]).status, 2);
});

test('pcap encrypt -> tshark 4.0 decrypts with the `sa wireshark` lines (inner ICMP fields)', () => {
  requireTshark();
  const cases = [
    {
      algorithm: 'aes-gcm-16',
      key: `${'11'.repeat(32)}cafebabe`,
      integ: { algorithm: 'none' },
      encap: { type: 'rfc3948', sport: 4500, dport: 4500 },
    },
    {
      algorithm: 'aes-gcm-8',
      key: `${'12'.repeat(16)}cafebabe`,
      integ: { algorithm: 'none' },
      encap: { type: 'none' },
    },
    {
      algorithm: 'aes-cbc',
      key: '13'.repeat(16),
      integ: { algorithm: 'hmac-sha256-128', key: '14'.repeat(32) },
      encap: { type: 'none' },
    },
    {
      algorithm: '3des-cbc',
      key: '15'.repeat(24),
      integ: { algorithm: 'hmac-sha1-96', key: '16'.repeat(20) },
      encap: { type: 'rfc3948', sport: 4500, dport: 4500 },
    },
    {
      algorithm: 'null',
      key: undefined,
      integ: { algorithm: 'hmac-md5-96', key: '17'.repeat(16) },
      encap: { type: 'none' },
    },
  ];
  // plaintext: the scapy-made tunnel inner packets (ICMP echo seq 1..3 from 10.1.0.1)
  const plain = join(dir, 'plain.pcap');
  assert.equal(runCli(['pcap', 'decrypt', '--sa', SA, IN, plain]).status, 0);
  for (const c of cases) {
    const saPath = join(dir, `${c.algorithm}.sa.json`);
    const sa = {
      spi: '0x0000beef',
      src: '192.0.2.1',
      dst: '198.51.100.7',
      mode: 'tunnel',
      encryption: { algorithm: c.algorithm, key: c.key },
      integrity: c.integ,
      encapsulation: c.encap,
    };
    writeFileSync(saPath, JSON.stringify({ sas: [sa] }));
    const enc = join(dir, `${c.algorithm}.pcap`);
    const r = runCli(['pcap', 'encrypt', '--sa', saPath, plain, enc]);
    assert.equal(r.status, 0, r.stderr);
    const uat = runCli(['sa', 'wireshark', saPath]);
    assert.equal(uat.status, 0, uat.stderr);
    const line = uat.stdout.trim();
    const t = spawnSync(
      'tshark',
      [
        '-o',
        'esp.enable_encryption_decode:TRUE',
        '-o',
        'esp.enable_authentication_check:TRUE',
        '-o',
        `uat:esp_sa:${line}`,
        '-r',
        enc,
        '-T',
        'fields',
        '-E',
        'occurrence=l',
        '-e',
        'esp.spi',
        '-e',
        'ip.src',
        '-e',
        'icmp.seq',
        '-e',
        'ipv6.src',
        '-e',
        'esp.icv_good',
      ],
      { encoding: 'utf8' },
    );
    assert.equal(t.status, 0, t.stderr);
    const rows = t.stdout.trim().split('\n');
    // the plaintext holds 3 ICMP echoes and one IPv6 UDP packet; esp.icv_good 1: Wireshark
    // verified the HMAC or the GCM tag
    assert.deepEqual(
      rows,
      [...[1, 2, 3].map((seq) => `0x0000beef\t10.1.0.1\t${seq}\t\t1`), '0x0000beef\t192.0.2.1\t\t2001:db8::10\t1'],
      `${c.algorithm}: ${t.stdout}`,
    );
  }
});

test('sa wireshark: Wireshark 4.0 has no ChaCha20-Poly1305, AES-GMAC or ESN: left out, on stderr', () => {
  const p = join(dir, 'unsupported.sa.json');
  const base = { src: '192.0.2.1', dst: '198.51.100.7', mode: 'tunnel' };
  writeFileSync(
    p,
    JSON.stringify({
      sas: [
        { ...base, spi: 300, encryption: { algorithm: 'chacha20-poly1305', key: '00'.repeat(36) } },
        { ...base, spi: 301, encryption: { algorithm: 'aes-gmac', key: '00'.repeat(20) } },
        { ...base, spi: 302, encryption: { algorithm: 'aes-gcm-16', key: '00'.repeat(20) }, esn: true },
      ],
    }),
  );
  const r = runCli(['sa', 'wireshark', p]);
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.match(
    r.stderr,
    /sas\[0\] \(SPI 0x0000012c\) left out: Wireshark 4\.0 cannot decrypt ESP with chacha20-poly1305/,
  );
  assert.match(r.stderr, /sas\[1\] .* aes-gmac/);
  assert.match(r.stderr, /sas\[2\] .* extended sequence numbers/);
});
