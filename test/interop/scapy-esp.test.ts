/**
 * ESP interop with scapy (secdev/scapy layers/ipsec.py, SecurityAssociation), both ways:
 *   scapy encrypts -> esprit `decryptCapture` -> inner packets == scapy's plaintext, byte for byte
 *   esprit `encryptCapture` -> scapy decrypts -> == the plaintext, byte for byte
 * over suites x mode x outer/inner family x UDP framing x ESN. One python process per
 * direction (test/interop/scapy-esp.py, JSON over stdin/stdout).
 * AES-GMAC: scapy 2.5.0 has none; the python side uses its own RFC 4543 implementation on
 * the `cryptography` package. ChaCha20-Poly1305: scapy 2.5.0 has it (RFC 7634).
 * Both directions run on every crypto backend (backendsUnderTest: node, evp, evp+native).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { decryptCapture } from '../../src/capture/decrypt.js';
import { encryptCapture } from '../../src/capture/encrypt.js';
import { parseSaDocument } from '../../src/config/sa-file.js';
import { backendLabel, backendsUnderTest } from '../../src/crypto/backends-under-test.js';
import { NodeRng } from '../../src/crypto/random.js';
import { EspSa } from '../../src/esp/esp-sa.js';
import type { SaConfig } from '../../src/sad/sa-config.js';
import { fromHex, toHex } from '../../src/util/hex.js';
import type { CapturePacket } from '../../src/wire/pcap/capture-packet.js';
import { PYTHON, ROOT, requireScapy } from '../util/tools.js';

interface Suite {
  encr: string;
  encrKeyLen: number;
  icv: number;
  auth: string;
  authKeyLen: number;
}

const SUITES: Suite[] = [];
for (const icv of [8, 12, 16]) {
  for (const k of [16, 24, 32])
    SUITES.push({ encr: `aes-gcm-${icv}`, encrKeyLen: k + 4, icv, auth: 'none', authKeyLen: 0 });
}
SUITES.push({ encr: 'chacha20-poly1305', encrKeyLen: 36, icv: 16, auth: 'none', authKeyLen: 0 });
for (const [auth, len, k] of [
  ['hmac-md5-96', 16, 16],
  ['hmac-sha1-96', 20, 24],
  ['hmac-sha256-128', 32, 32],
  ['hmac-sha384-192', 48, 16],
  ['hmac-sha512-256', 64, 32],
] as const) {
  SUITES.push({ encr: 'aes-cbc', encrKeyLen: k, icv: 0, auth, authKeyLen: len });
}
SUITES.push({ encr: '3des-cbc', encrKeyLen: 24, icv: 0, auth: 'hmac-sha1-96', authKeyLen: 20 });
SUITES.push({ encr: 'null', encrKeyLen: 0, icv: 0, auth: 'hmac-sha256-128', authKeyLen: 32 });
for (const k of [16, 24, 32])
  SUITES.push({ encr: 'aes-gmac', encrKeyLen: k + 4, icv: 16, auth: 'none', authKeyLen: 0 });

const ENCAPS = [
  { type: 'none' },
  { type: 'rfc3948', sport: 4500, dport: 4500 },
  { type: 'udp-encaps-00', sport: 500, dport: 500 },
  { type: 'cisco-udp', sport: 10000, dport: 10000 },
] as const;

const ADDRS = { 4: ['192.0.2.1', '198.51.100.7'], 6: ['2001:db8:a::1', '2001:db8:b::7'] } as const;

function key(len: number, seed: number): string {
  let s = '';
  for (let i = 0; i < len; i++) s += ((seed * 31 + i * 7) & 0xff).toString(16).padStart(2, '0');
  return s;
}

interface Case {
  name: string;
  spi: number;
  mode: 'tunnel' | 'transport';
  src: string;
  dst: string;
  innerFamily: 4 | 6;
  encr: string;
  encrKey: string;
  icv: number;
  auth: string;
  authKey: string;
  esn: boolean;
  seq: number;
  encap: { type: string; sport?: number; dport?: number };
  count: number;
}

function cases(): Case[] {
  const out: Case[] = [];
  let n = 0;
  SUITES.forEach((s, si) => {
    for (const mode of ['tunnel', 'transport'] as const) {
      for (const outer of [4, 6] as const) {
        for (const inner of mode === 'tunnel' ? ([4, 6] as const) : [outer]) {
          for (const encap of ENCAPS) {
            for (const esn of [false, true]) {
              n++;
              out.push({
                name: `${s.encr}/${s.encrKeyLen}${s.auth === 'none' ? '' : `+${s.auth}`} ${mode} v${outer}${mode === 'tunnel' ? `/v${inner}` : ''} ${encap.type} esn=${esn}`,
                spi: 0x1000 + n,
                mode,
                src: ADDRS[outer][0],
                dst: ADDRS[outer][1],
                innerFamily: inner,
                encr: s.encr,
                encrKey: key(s.encrKeyLen, si + 1),
                icv: s.icv,
                auth: s.auth,
                authKey: key(s.authKeyLen, si + 101),
                esn,
                // with ESN the 64-bit counter is past 2^32, so the high half must be right (RFC 4303 §2.2.1)
                seq: esn ? 0x1_0000_0005 + n : 1 + n,
                encap,
                count: 3,
              });
            }
          }
        }
      }
    }
  });
  return out;
}

function saOf(c: Case): SaConfig {
  const [sa] = parseSaDocument({
    sas: [
      {
        spi: c.spi,
        src: c.src,
        dst: c.dst,
        mode: c.mode,
        encryption: c.encr === 'null' ? { algorithm: 'null' } : { algorithm: c.encr, key: c.encrKey },
        integrity: c.auth === 'none' ? { algorithm: 'none' } : { algorithm: c.auth, key: c.authKey },
        encapsulation: c.encap,
        esn: c.esn,
        seq: String(c.seq),
      },
    ],
  });
  assert.ok(sa);
  return sa;
}

function scapy(op: 'encrypt' | 'decrypt', list: unknown[]): { plain: string[]; outer?: string[] }[] {
  const r = spawnSync(PYTHON, [join(ROOT, 'test', 'interop', 'scapy-esp.py')], {
    input: JSON.stringify({ op, cases: list }),
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  assert.equal(r.status, 0, r.stderr);
  return (JSON.parse(r.stdout) as { results: { plain: string[]; outer?: string[] }[] }).results;
}

function raw(hexes: string[]): CapturePacket[] {
  return hexes.map((h, index) => ({
    index,
    interfaceId: 0,
    linkType: 101,
    timestampNs: BigInt(index),
    origLen: h.length / 2,
    data: fromHex(h),
  }));
}

const ALL = cases();
const rng = new NodeRng();

/**
 * No failures: else the failures counted per suite (the case name without its third word, the family),
 * then the first three in full.
 */
function assertNoFailures(failures: readonly string[]): void {
  const bySuite = new Map<string, number>();
  for (const f of failures) {
    const k =
      f
        .split(':')[0]
        ?.split(' ')
        .filter((_, j) => j !== 2)
        .join(' ') ?? '';
    bySuite.set(k, (bySuite.get(k) ?? 0) + 1);
  }
  assert.deepEqual([...bySuite].map(([k, n]) => `${n} x ${k}`).concat(failures.slice(0, 3)), []);
}

// every backend: node:crypto, EVP through koffi alone, EVP with the native AEAD helper
for (const backend of backendsUnderTest()) {
  test(`${backendLabel(backend)}: scapy encrypts, esprit decrypts: ${ALL.length} SAs (${SUITES.length} suites x mode x family x framing x ESN)`, () => {
    requireScapy();
    const results = scapy('encrypt', ALL);
    const failures: string[] = [];
    ALL.forEach((c, i) => {
      const r = results[i];
      assert.ok(r?.outer);
      const sa = saOf(c);
      const { records, summary } = decryptCapture(raw(r.outer), [sa], (cfg) => new EspSa(cfg, 'in', { backend, rng }));
      const got = records.map((x) => toHex(x.data));
      if (JSON.stringify(got) !== JSON.stringify(r.plain)) {
        failures.push(
          `${c.name}: ${JSON.stringify(summary)} got ${got[0]?.slice(0, 80)} want ${r.plain[0]?.slice(0, 80)}`,
        );
      }
    });
    assertNoFailures(failures);
  });

  test(`${backendLabel(backend)}: esprit encrypts, scapy decrypts: ${ALL.length} SAs`, () => {
    requireScapy();
    const plains = scapy('encrypt', ALL).map((r) => r.plain);
    const outers = ALL.map((c, i) => {
      const sa = saOf(c);
      const { records, summary } = encryptCapture(raw(plains[i] ?? []), sa, new EspSa(sa, 'out', { backend, rng }));
      assert.equal(summary.encrypted, c.count, c.name);
      return records.map((x) => toHex(x.data));
    });
    const results = scapy(
      'decrypt',
      ALL.map((c, i) => ({ ...c, outer: outers[i] })),
    );
    const failures: string[] = [];
    ALL.forEach((c, i) => {
      const got = results[i]?.plain ?? [];
      if (JSON.stringify(got) !== JSON.stringify(plains[i]))
        failures.push(`${c.name}: got ${got[0]?.slice(0, 100)} want ${plains[i]?.[0]?.slice(0, 100)}`);
    });
    assertNoFailures(failures);
  });
}
