/**
 * The "esp" layer: one packet through the ESP engine end to end, EspSa.seal and
 * EspSa.open (src/esp/esp-sa.ts): SPI/Seq header, IV, padding and trailer, AAD (or
 * HMAC input with the ESN bits), ICV, and on open the anti-replay window (1024) and
 * trailer checks. Tunnel mode, next header 4, `size` bytes of inner packet, no ESN.
 *
 *   seal: tx.seal(4, payload, out)                         one sequence number per call
 *   open: copy the next pre-sealed packet (distinct Seq) into a work buffer, rx.open(work)
 *
 * Open needs a fresh sequence number each time or the replay window drops it, so RING
 * packets are sealed up front (on the first open) and opened in order; after the last
 * one a new inbound EspSa (a new replay window) starts over. Its crypto contexts are
 * reused (`reusingBackend`): the contexts keep no per-packet state, and a fresh native
 * context per ring would measure EVP_CIPHER_CTX setup instead of ESP.
 */
import type { CryptoBackend } from '../../src/crypto/backend.js';
import { NodeRng } from '../../src/crypto/random.js';
import { ENCR, type EncrAlgorithm, type IntegAlgorithm } from '../../src/crypto/suites.js';
import { EspSa } from '../../src/esp/esp-sa.js';
import type { SaConfig } from '../../src/sad/sa-config.js';
import { parseIp } from '../../src/util/ip-addr.js';
import { CRYPTO_SUITES } from './crypto-layer.js';
import type { BenchCase, Layer } from './layer.js';

/** Pre-sealed packets per inbound SA. */
export const RING = 1024;

export interface EspSuite {
  /** same names as the crypto layer, so both compare to the same OpenSSL reference */
  readonly name: string;
  readonly encr: EncrAlgorithm;
  readonly integ: IntegAlgorithm;
  /** cipher key bytes, without the salt */
  readonly keyLen: number;
  readonly integKeyLen: number;
}

export const ESP_SUITES: readonly EspSuite[] = [
  { name: 'aes-gcm-16 (128)', encr: 'aes-gcm-16', integ: 'none', keyLen: 16, integKeyLen: 0 },
  { name: 'aes-gcm-16 (256)', encr: 'aes-gcm-16', integ: 'none', keyLen: 32, integKeyLen: 0 },
  { name: 'chacha20-poly1305', encr: 'chacha20-poly1305', integ: 'none', keyLen: 32, integKeyLen: 0 },
  { name: 'aes-cbc-128 + hmac-sha1-96', encr: 'aes-cbc', integ: 'hmac-sha1-96', keyLen: 16, integKeyLen: 20 },
  { name: 'aes-cbc-128 + hmac-sha256-128', encr: 'aes-cbc', integ: 'hmac-sha256-128', keyLen: 16, integKeyLen: 32 },
  { name: '3des-cbc + hmac-sha1-96', encr: '3des-cbc', integ: 'hmac-sha1-96', keyLen: 24, integKeyLen: 20 },
  { name: 'null + hmac-sha256-128', encr: 'null', integ: 'hmac-sha256-128', keyLen: 0, integKeyLen: 32 },
  { name: 'aes-gmac-128', encr: 'aes-gmac', integ: 'none', keyLen: 16, integKeyLen: 0 },
];

function config(s: EspSuite): SaConfig {
  const saltLen = ENCR[s.encr].saltLen;
  return {
    spi: 0x1000,
    src: parseIp('192.0.2.1'),
    dst: parseIp('198.51.100.1'),
    mode: 'tunnel',
    encryption: { algorithm: s.encr, key: new Uint8Array(s.keyLen + saltLen).fill(7) },
    integrity: { algorithm: s.integ, key: new Uint8Array(s.integKeyLen).fill(9) },
    encapsulation: { type: 'none', sport: 0, dport: 0 },
    esn: false,
    replayWindow: 1024,
    seq: 1n,
  };
}

/** A backend that hands out the same context for the same request (see the file comment). */
export function reusingBackend(b: CryptoBackend): CryptoBackend {
  const cache = new Map<string, unknown>();
  const memo = <T>(key: string, make: () => T): T => {
    let v = cache.get(key) as T | undefined;
    if (v === undefined) {
      v = make();
      cache.set(key, v);
    }
    return v;
  };
  return {
    name: b.name,
    aead: (c, key, salt, icvLen) => memo(`aead|${c}|${icvLen}`, () => b.aead(c, key, salt, icvLen)),
    cbc: (c, key) => memo(`cbc|${c}`, () => b.cbc(c, key)),
    mac: (h, key, icvLen) => memo(`mac|${h}|${icvLen}`, () => b.mac(h, key, icvLen)),
  };
}

/** An inner IPv4 packet of `size` bytes (version/IHL and total length set; the rest filler). */
function innerPacket(size: number): Uint8Array {
  const p = new Uint8Array(size).map((_, i) => (i * 131 + 3) & 0xff);
  p[0] = 0x45;
  p[2] = size >> 8;
  p[3] = size & 0xff;
  return p;
}

export function makeEspCase(
  s: EspSuite,
  backend: CryptoBackend,
  size: number,
): { seal: () => void; open: () => void; bytes: number } {
  const cfg = config(s);
  const rng = new NodeRng();
  const txBackend = reusingBackend(backend);
  const rxBackend = reusingBackend(backend);
  const tx = new EspSa(cfg, 'out', { backend: txBackend, rng });
  const payload = innerPacket(size);
  const out = new Uint8Array(tx.maxSealLength(size));
  const seal = (): void => {
    const r = tx.seal(4, payload, out);
    if (!r.ok) throw new Error(`${s.name}: seal dropped (${r.reason})`);
  };
  seal();

  let ring: Uint8Array[] | undefined;
  let work = new Uint8Array(0);
  let rx = new EspSa(cfg, 'in', { backend: rxBackend, rng });
  let next = 0;
  const open = (): void => {
    if (ring === undefined) {
      // RFC 4303 §3.4.3: one sequence number each, from 1, so the window accepts all of them
      const sealer = new EspSa(cfg, 'out', { backend: reusingBackend(backend), rng });
      ring = [];
      for (let i = 0; i < RING; i++) {
        const r = sealer.seal(4, payload, out);
        if (!r.ok) throw new Error(`${s.name}: seal dropped (${r.reason})`);
        ring.push(out.slice(0, r.length));
      }
      work = new Uint8Array((ring[0] as Uint8Array).length); // every packet has the same length
    }
    if (next === RING) {
      rx = new EspSa(cfg, 'in', { backend: rxBackend, rng });
      next = 0;
    }
    const pkt = ring[next++] as Uint8Array;
    work.set(pkt);
    const r = rx.open(work);
    if (!r.ok) throw new Error(`${s.name}: open dropped (${r.reason})`);
  };
  return { seal, open, bytes: size };
}

export const espLayer: Layer = {
  name: 'esp',
  cases(backends, sizes, only) {
    const out: BenchCase[] = [];
    for (const s of ESP_SUITES) {
      if (only && !only.includes(s.name)) continue;
      for (const size of sizes) {
        for (const { name, backend: b } of backends) {
          const m = makeEspCase(s, b, size);
          out.push({ layer: 'esp', suite: s.name, backend: name, size, bytes: m.bytes, op: 'seal', run: m.seal });
          out.push({ layer: 'esp', suite: s.name, backend: name, size, bytes: m.bytes, op: 'open', run: m.open });
        }
      }
    }
    return out;
  },
  openssl(suite) {
    return CRYPTO_SUITES.find((s) => s.name === suite)?.openssl ?? [];
  },
};
