/**
 * A benchmark layer produces cases (one operation on one packet). `crypto` measures the
 * per-SA crypto contexts; an `esp` layer (the ESP engine's encapsulate/decapsulate) can
 * be added by exporting another Layer and listing it in run.ts LAYERS.
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

export interface Layer {
  readonly name: string;
  cases(backends: readonly CryptoBackend[], sizes: readonly number[]): BenchCase[];
  /** OpenSSL speed references for a suite (keys understood by openssl-speed.ts), [] when none */
  openssl(suite: string): readonly string[];
}
