/**
 * The "crypto" layer: one packet sealed/opened with the per-SA crypto contexts, as
 * the ESP engine will call them, on buffers laid out like an ESP packet:
 *
 *   | SPI+seq (8) | IV | payload | ICV |      AEAD:  AAD = SPI+seq, nonce = salt|IV
 *                                           CBC+HMAC: encrypt payload, MAC over SPI..payload
 *                                           GMAC:  AAD = SPI..payload, nothing encrypted
 *                                           NULL+HMAC: MAC over SPI..payload
 *
 * CBC payloads are rounded up to the cipher block (1400 -> 1408 for AES). `open`
 * restores the sealed packet (one memcpy) before each call so every open succeeds.
 */
import type { CryptoBackend } from '../../src/crypto/backend.js';
import type { BenchCase, Layer } from './layer.js';

export interface CryptoSuite {
  readonly name: string;
  /** OpenSSL speed reference (see openssl-speed.ts): algorithms whose per-packet times add up */
  readonly openssl: readonly string[];
  make(b: CryptoBackend, size: number): { seal: () => void; open: () => void; bytes: number };
}

const fill = (n: number, seed: number): Uint8Array => new Uint8Array(n).map((_, i) => (i * 131 + seed) & 0xff);

function aeadSuite(
  name: string,
  cipher: 'aes-gcm' | 'chacha20-poly1305',
  keyLen: number,
  openssl: string,
): CryptoSuite {
  return {
    name,
    openssl: [openssl],
    make(b, size) {
      const ctx = b.aead(cipher, fill(keyLen, 1), fill(4, 2), 16);
      const pkt = fill(8 + 8 + size + 16, 3);
      const aad = pkt.subarray(0, 8);
      const iv = pkt.subarray(8, 16);
      const data = pkt.subarray(16, 16 + size);
      const tag = pkt.subarray(16 + size);
      ctx.seal(iv, aad, data, tag);
      const sealed = pkt.slice();
      return {
        bytes: size,
        seal: () => ctx.seal(iv, aad, data, tag),
        open: () => {
          pkt.set(sealed);
          if (!ctx.open(iv, aad, data, tag)) throw new Error(`${name}: open failed`);
        },
      };
    },
  };
}

function gmacSuite(name: string, keyLen: number): CryptoSuite {
  return {
    name,
    openssl: [],
    make(b, size) {
      // RFC 4543 §3: SPI, seq, IV and payload are all AAD; the ciphertext is empty
      const ctx = b.aead('aes-gcm', fill(keyLen, 1), fill(4, 2), 16);
      const pkt = fill(8 + 8 + size + 16, 3);
      const aad = pkt.subarray(0, 16 + size);
      const iv = pkt.subarray(8, 16);
      const tag = pkt.subarray(16 + size);
      const none = new Uint8Array(0);
      ctx.seal(iv, aad, none, tag);
      return {
        bytes: size,
        seal: () => ctx.seal(iv, aad, none, tag),
        open: () => {
          if (!ctx.open(iv, aad, none, tag)) throw new Error(`${name}: open failed`);
        },
      };
    },
  };
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return d === 0 && a.length === b.length;
}

function cbcHmacSuite(
  name: string,
  cipher: 'aes-cbc' | '3des-cbc' | null,
  keyLen: number,
  hash: 'sha1' | 'sha256',
  macKeyLen: number,
  icvLen: number,
  openssl: readonly string[],
): CryptoSuite {
  return {
    name,
    openssl,
    make(b, size) {
      const block = cipher === 'aes-cbc' ? 16 : cipher === '3des-cbc' ? 8 : 1;
      const ivLen = cipher === null ? 0 : block;
      const n = Math.ceil(size / block) * block;
      const enc = cipher === null ? undefined : b.cbc(cipher, fill(keyLen, 1));
      const mac = b.mac(hash, fill(macKeyLen, 4), icvLen);
      const pkt = fill(8 + ivLen + n + icvLen, 3);
      const iv = pkt.subarray(8, 8 + ivLen);
      const data = pkt.subarray(8 + ivLen, 8 + ivLen + n);
      const authed = pkt.subarray(0, 8 + ivLen + n);
      const icv = pkt.subarray(8 + ivLen + n);
      const check = new Uint8Array(icvLen);
      const seal = (): void => {
        enc?.encrypt(iv, data);
        mac.compute(authed, undefined, icv);
      };
      seal();
      const sealed = pkt.slice();
      return {
        bytes: n,
        seal,
        open: () => {
          pkt.set(sealed);
          mac.compute(authed, undefined, check);
          if (!equal(check, icv)) throw new Error(`${name}: ICV mismatch`);
          enc?.decrypt(iv, data);
        },
      };
    },
  };
}

export const CRYPTO_SUITES: readonly CryptoSuite[] = [
  aeadSuite('aes-gcm-16 (128)', 'aes-gcm', 16, 'aead:aes-128-gcm'),
  aeadSuite('aes-gcm-16 (256)', 'aes-gcm', 32, 'aead:aes-256-gcm'),
  aeadSuite('chacha20-poly1305', 'chacha20-poly1305', 32, 'aead:chacha20-poly1305'),
  cbcHmacSuite('aes-cbc-128 + hmac-sha1-96', 'aes-cbc', 16, 'sha1', 20, 12, ['evp:aes-128-cbc', 'hmac:sha1']),
  cbcHmacSuite('aes-cbc-128 + hmac-sha256-128', 'aes-cbc', 16, 'sha256', 32, 16, ['evp:aes-128-cbc', 'hmac:sha256']),
  cbcHmacSuite('3des-cbc + hmac-sha1-96', '3des-cbc', 24, 'sha1', 20, 12, ['evp:des-ede3-cbc', 'hmac:sha1']),
  cbcHmacSuite('null + hmac-sha256-128', null, 0, 'sha256', 32, 16, ['hmac:sha256']),
  gmacSuite('aes-gmac-128', 16),
];

export const cryptoLayer: Layer = {
  name: 'crypto',
  cases(backends, sizes, only) {
    const out: BenchCase[] = [];
    for (const s of CRYPTO_SUITES) {
      if (only && !only.includes(s.name)) continue;
      for (const size of sizes) {
        for (const { name, backend: b } of backends) {
          const m = s.make(b, size);
          out.push({ layer: 'crypto', suite: s.name, backend: name, size, bytes: m.bytes, op: 'seal', run: m.seal });
          out.push({ layer: 'crypto', suite: s.name, backend: name, size, bytes: m.bytes, op: 'open', run: m.open });
        }
      }
    }
    return out;
  },
  openssl(suite) {
    return CRYPTO_SUITES.find((s) => s.name === suite)?.openssl ?? [];
  },
};
