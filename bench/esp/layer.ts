/**
 * A benchmark layer produces cases (one operation on one packet). `crypto` measures the
 * per-SA crypto contexts (crypto-layer.ts); `esp` the ESP engine's EspSa.seal/open end to
 * end (esp-layer.ts). run.ts LAYERS lists them.
 */
import type { CryptoBackend } from '../../src/crypto/backend.js';

export interface BenchCase {
  readonly layer: string;
  readonly suite: string;
  readonly backend: string;
  /** nominal packet size asked for (64, 512, 1400) */
  readonly size: number;
  /** payload bytes actually processed per packet (CBC rounds up to the block) */
  readonly bytes: number;
  readonly op: 'seal' | 'open';
  readonly run: () => void;
}

/** A backend under a bench name: `node`, `evp` (with the native AEAD helper when built) or `evp-ffi` (koffi only). */
export interface NamedBackend {
  readonly name: string;
  readonly backend: CryptoBackend;
}

export interface Layer {
  readonly name: string;
  /** `only`: suite names to keep (all when undefined) */
  cases(backends: readonly NamedBackend[], sizes: readonly number[], only?: readonly string[]): BenchCase[];
  /** OpenSSL speed references for a suite (keys understood by openssl-speed.ts), [] when none */
  openssl(suite: string): readonly string[];
}
