/**
 * The sans-IO ESP engine for one SA and direction (RFC 4303).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ ----
 *   |               Security Parameters Index (SPI)                 | ^ AAD (AEAD:
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ | SPI|[Seq-hi|]Seq)
 *   |      Sequence Number (low 32 bits with ESN, §2.2.1)           | v
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ ----
 *   |            IV (8 B AEAD/GMAC, cipher block for CBC)           |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ ---- payloadOffset
 *   ~     Payload (inner packet) | TFC padding (zeros, §2.7)        ~ ^
 *   +               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ | encrypted
 *   |               |     Padding 1, 2, 3, ... (0-255 bytes, §2.4)  | | (not for GMAC/NULL)
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ |
 *   |                               |  Pad Length   | Next Header   | v
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ ----
 *   ~         Integrity Check Value (ICV, variable)                 ~
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Suites: AES-GCM (RFC 4106), ChaCha20-Poly1305 (RFC 7634), AES-GMAC (RFC 4543),
 * AES-CBC (RFC 3602) and 3DES-CBC (RFC 2451) with truncated HMAC, NULL (RFC 2410)
 * with HMAC. Only the CryptoBackend interface is used, so node and EVP backends
 * are interchangeable. Drops are returned as values and counted, never thrown.
 */
import type { AeadContext, CbcContext, CryptoBackend, MacContext } from '../crypto/backend.js';
import { ENCR, type EncrSpec, INTEG, type IntegSpec } from '../crypto/suites.js';
import { LifetimeCounter } from '../sad/lifetime.js';
import { MAX_REPLAY_WINDOW, REPLAY, ReplayWindow } from '../sad/replay.js';
import type { SaConfig } from '../sad/sa-config.js';
import { readU32, writeU32 } from '../util/be-bytes.js';
import { ConfigError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';
import { checkTrailer, paddedLength, writeTrailer } from './padding.js';
import { DROP_REASONS, type DropReason, type LifetimeEvent, type OpenResult, type SealResult } from './types.js';

/** SPI (4) + Sequence Number (4), RFC 4303 §2. */
export const ESP_HEADER_LEN = 8;
/** Next header 59: a dummy packet, discarded silently by the receiver (RFC 4303 §2.6). */
export const NEXT_HEADER_DUMMY = 59;
const NH_IPV4 = 4;
const NH_IPV6 = 41;

/** Per-SA counters: packets and payload bytes that passed, and drops per reason. */
export interface EspCounters {
  packets: number;
  bytes: number;
  readonly drops: Record<DropReason, number>;
}

export interface EspSaOptions {
  readonly backend: CryptoBackend;
  /** random IVs for CBC (RFC 3602 §3, RFC 2451 §3) */
  readonly rng: Rng;
  /**
   * TEST ONLY: fills the explicit IV of each sealed packet, replacing the
   * sequence-number IV of AEAD/GMAC suites and the random CBC IV. Published
   * vectors (draft-mcgrew-gcm-test-01, RFC 7634 App. A) use IVs that are not the
   * sequence number; production code must never set it (RFC 4106 §3.1: an IV
   * must never repeat under one key).
   */
  readonly ivSource?: (seq: bigint, iv: Uint8Array) => void;
}

type Kind = EncrSpec['kind'];

const DROPS = Object.fromEntries(DROP_REASONS.map((r) => [r, Object.freeze({ ok: false, reason: r })])) as Record<
  DropReason,
  { readonly ok: false; readonly reason: DropReason }
>;

function seq64(hi: number, lo: number): bigint {
  return hi === 0 ? BigInt(lo) : (BigInt(hi) << 32n) | BigInt(lo);
}

/**
 * Results carry the sequence number as two 32-bit numbers (STYLE §3.3: ESN as hi/lo on
 * the hot path); `seq` builds the BigInt only when someone reads it.
 */
class Sealed {
  readonly ok = true as const;
  constructor(
    readonly length: number,
    readonly seqHi: number,
    readonly seqLo: number,
    readonly lifetime: LifetimeEvent,
  ) {}
  get seq(): bigint {
    return seq64(this.seqHi, this.seqLo);
  }
}

class Opened {
  readonly ok = true as const;
  constructor(
    readonly nextHeader: number,
    readonly payload: Uint8Array,
    readonly seqHi: number,
    readonly seqLo: number,
    readonly lifetime: LifetimeEvent,
  ) {}
  get seq(): bigint {
    return seq64(this.seqHi, this.seqLo);
  }
}

/**
 * Validate the parts of an SaConfig the ESP engine depends on.
 * @throws ConfigError (path names the field) for: SPI 0 or 1-255 (RFC 4303 §2.1);
 *   a combined-mode or GMAC suite with a separate integrity algorithm; CBC or NULL
 *   without integrity (RFC 4303 §3.2, RFC 2410: NULL needs integrity); a replay
 *   window without integrity (RFC 4303 §3.4.3) or outside 0..2^20; key lengths
 *   that do not match suites.ts (cipher key + salt; integrity key); a sequence
 *   number outside the 32-bit (64-bit with ESN) space; a bad tfcPadTo.
 */
export function checkEspConfig(cfg: SaConfig): { encr: EncrSpec; integ: IntegSpec } {
  const encr = ENCR[cfg.encryption.algorithm];
  const integ = INTEG[cfg.integrity.algorithm];
  if (!encr) throw new ConfigError('encryption.algorithm', `unknown algorithm ${cfg.encryption.algorithm}`);
  if (!integ) throw new ConfigError('integrity.algorithm', `unknown algorithm ${cfg.integrity.algorithm}`);
  if (!Number.isInteger(cfg.spi) || cfg.spi < 256 || cfg.spi > 0xffff_ffff) {
    throw new ConfigError(
      'spi',
      `SPI ${cfg.spi} is reserved or out of range (RFC 4303 §2.1: 0 and 1-255 are reserved)`,
    );
  }
  const combined = encr.kind === 'aead' || encr.kind === 'gmac';
  const hasIntegrity = combined || integ.name !== 'none';
  if (!Number.isInteger(cfg.replayWindow) || cfg.replayWindow < 0 || cfg.replayWindow > MAX_REPLAY_WINDOW) {
    throw new ConfigError('replayWindow', `must be an integer in 0..${MAX_REPLAY_WINDOW}`);
  }
  if (cfg.replayWindow > 0 && !hasIntegrity) {
    throw new ConfigError('replayWindow', 'anti-replay requires integrity (RFC 4303 §3.4.3)');
  }
  if (combined && integ.name !== 'none') {
    throw new ConfigError('integrity.algorithm', `${encr.name} provides its own ICV; integrity must be none`);
  }
  if (!combined && integ.name === 'none') {
    throw new ConfigError('integrity.algorithm', `${encr.name} needs an integrity algorithm`);
  }
  const keyLen = cfg.encryption.key.length - encr.saltLen;
  if (!encr.keyLens.includes(keyLen)) {
    const want = encr.keyLens.map((k) => k + encr.saltLen).join(', ');
    throw new ConfigError(
      'encryption.key',
      `${encr.name} keying material must be ${want} bytes, got ${cfg.encryption.key.length}`,
    );
  }
  if (cfg.integrity.key.length !== integ.keyLen) {
    throw new ConfigError(
      'integrity.key',
      `${integ.name} key must be ${integ.keyLen} bytes, got ${cfg.integrity.key.length}`,
    );
  }
  const maxSeq = cfg.esn ? 0xffff_ffff_ffff_ffffn : 0xffff_ffffn;
  if (cfg.seq < 0n || cfg.seq > maxSeq) throw new ConfigError('seq', `sequence number ${cfg.seq} out of range`);
  const tfc = cfg.tfcPadTo;
  if (tfc !== undefined && (!Number.isInteger(tfc) || tfc < 0 || tfc > 0xffff)) {
    throw new ConfigError('tfcPadTo', 'must be an integer in 0..65535');
  }
  return { encr, integ };
}

/**
 * One ESP SA in one direction. `seal` (outbound) and `open` (inbound) work in
 * caller-owned buffers with preallocated per-SA scratch (AAD, IV, ICV); the only
 * per-packet allocations are the views the backend needs and the result object.
 */
export class EspSa {
  readonly cfg: SaConfig;
  readonly direction: 'in' | 'out';
  readonly counters: EspCounters;
  /** offset of the payload in an ESP packet: header + IV */
  readonly payloadOffset: number;
  /** ICV length in bytes */
  readonly icvLen: number;

  private readonly kind: Kind;
  private readonly ivLen: number;
  private readonly align: number;
  private readonly tfcPadTo: number;
  private readonly tunnel: boolean;
  private readonly aead: AeadContext | undefined;
  private readonly cbc: CbcContext | undefined;
  private readonly mac: MacContext | undefined;
  private readonly rng: Rng;
  private readonly ivSource: ((seq: bigint, iv: Uint8Array) => void) | undefined;
  private readonly aad: Uint8Array;
  private readonly iv: Uint8Array;
  private readonly icv: Uint8Array;
  private readonly seqHiBuf = new Uint8Array(4);
  private readonly empty = new Uint8Array(0);
  private gmacAad = new Uint8Array(0);
  private readonly lifetime: LifetimeCounter;
  private readonly replay: ReplayWindow | undefined;
  private seqHi = 0;
  private seqLo = 0;
  private seqExhausted = false;

  /**
   * @throws ConfigError for an SA the engine cannot run (see checkEspConfig);
   *   CryptoError from the backend for key material it refuses.
   */
  constructor(cfg: SaConfig, direction: 'in' | 'out', opts: EspSaOptions) {
    const { encr, integ } = checkEspConfig(cfg);
    this.cfg = cfg;
    this.direction = direction;
    this.kind = encr.kind;
    this.ivLen = encr.ivLen;
    this.align = Math.max(encr.padBlock, 4);
    this.payloadOffset = ESP_HEADER_LEN + encr.ivLen;
    this.icvLen = encr.kind === 'aead' || encr.kind === 'gmac' ? encr.icvLen : integ.icvLen;
    this.tfcPadTo = cfg.tfcPadTo ?? 0;
    this.tunnel = cfg.mode === 'tunnel';
    this.rng = opts.rng;
    this.ivSource = opts.ivSource;
    const keyLen = cfg.encryption.key.length - encr.saltLen;
    const key = cfg.encryption.key.subarray(0, keyLen);
    const salt = cfg.encryption.key.subarray(keyLen);
    const b = opts.backend;
    this.aead =
      encr.kind === 'aead' || encr.kind === 'gmac'
        ? b.aead(encr.name === 'chacha20-poly1305' ? 'chacha20-poly1305' : 'aes-gcm', key, salt, encr.icvLen)
        : undefined;
    this.cbc = encr.kind === 'cbc' ? b.cbc(encr.name === '3des-cbc' ? '3des-cbc' : 'aes-cbc', key) : undefined;
    this.mac = integ.hash ? b.mac(integ.hash, cfg.integrity.key, integ.icvLen) : undefined;
    // RFC 4106 §5 / RFC 7634 §3: SPI | Seq (8 B), or SPI | Seq-hi | Seq-lo (12 B) with ESN
    this.aad = new Uint8Array(cfg.esn ? 12 : 8);
    writeU32(this.aad, 0, cfg.spi);
    this.iv = new Uint8Array(encr.ivLen);
    this.icv = new Uint8Array(this.icvLen);
    this.lifetime = new LifetimeCounter(cfg.lifetime);
    const drops = {} as Record<DropReason, number>;
    for (const r of DROP_REASONS) drops[r] = 0;
    this.counters = { packets: 0, bytes: 0, drops };
    if (direction === 'out') {
      this.seqHi = Number(cfg.seq >> 32n);
      this.seqLo = Number(cfg.seq & 0xffff_ffffn);
      this.replay = undefined;
    } else {
      // the window also infers the ESN high bits, so it exists even when anti-replay is off
      this.replay = new ReplayWindow(cfg.replayWindow, cfg.esn, cfg.seq);
    }
  }

  /** True once a hard lifetime was reached: every packet is dropped as 'lifetime-expired'. */
  get expired(): boolean {
    return this.lifetime.expired;
  }

  /**
   * Time-based lifetime hook for the key engine, which owns the clock.
   * @returns 'soft' or 'hard' the first time each is reached, else undefined
   */
  expire(kind: 'soft' | 'hard'): 'soft' | 'hard' | undefined {
    return this.lifetime.expire(kind);
  }

  /** The next outbound sequence number, or undefined when the space is used up (outbound SAs). */
  get nextSeq(): bigint | undefined {
    return this.seqExhausted ? undefined : seq64(this.seqHi, this.seqLo);
  }

  /**
   * Free the crypto contexts' native state now (the EVP backend; a no-op on node:crypto).
   * Call when the SA is removed; the SA must not be used afterwards.
   */
  dispose(): void {
    this.aead?.dispose?.();
    this.cbc?.dispose?.();
    this.mac?.dispose?.();
  }

  /** Bytes seal() writes for a payload of `payloadLen` bytes (TFC padding included). */
  maxSealLength(payloadLen: number): number {
    const inner = Math.max(payloadLen, this.tfcPadTo);
    return this.payloadOffset + paddedLength(inner, this.align) + this.icvLen;
  }

  /**
   * Encapsulate one payload: writes SPI | Seq | IV | ciphertext(payload | TFC |
   * padding | pad length | next header) | ICV into `out` from offset 0. The
   * payload may already sit at out[payloadOffset] (then it is not copied).
   * @param nextHeader RFC 4303 §2.6 protocol of the payload (4 IPv4, 41 IPv6, 59 dummy, ...)
   * @returns `{ok:true, length, seq, lifetime}` (lifetime 'soft'/'hard' when this
   *   packet crossed a limit; after 'hard' the SA is expired), or a drop:
   *   'lifetime-expired' (a hard lifetime was reached earlier), 'seq-overflow'
   *   (the sequence number would cycle, RFC 4303 §3.3.3: rekey), 'bad-next-header'
   *   (not 0-255, or not 4/41/59 on a tunnel-mode SA), 'too-big' (`out` shorter
   *   than maxSealLength).
   * @throws Error only on misuse: seal() on an inbound SA.
   */
  seal(nextHeader: number, payload: Uint8Array, out: Uint8Array): SealResult {
    if (this.direction !== 'out') throw new Error('assertion failed: seal() on an inbound SA');
    if (this.lifetime.expired) return this.drop('lifetime-expired');
    if (this.seqExhausted) return this.drop('seq-overflow');
    if (
      !(nextHeader >= 0 && nextHeader <= 255 && (nextHeader | 0) === nextHeader) ||
      (this.tunnel && nextHeader !== NH_IPV4 && nextHeader !== NH_IPV6 && nextHeader !== NEXT_HEADER_DUMMY)
    ) {
      return this.drop('bad-next-header');
    }
    const payloadLen = payload.length;
    const inner = Math.max(payloadLen, this.tfcPadTo);
    const plainLen = paddedLength(inner, this.align);
    const dataOff = this.payloadOffset;
    const icvOff = dataOff + plainLen;
    const total = icvOff + this.icvLen;
    if (out.length < total) return this.drop('too-big');

    const hi = this.seqHi;
    const lo = this.seqLo;
    writeU32(out, 0, this.cfg.spi);
    writeU32(out, 4, lo); // §2.2.1: only the low 32 bits are sent
    // offsets first: the .buffer getter is a runtime call, and offsets differ in the common case
    if (payload.byteOffset !== out.byteOffset + dataOff || payload.buffer !== out.buffer) out.set(payload, dataOff);
    if (inner > payloadLen) out.fill(0, dataOff + payloadLen, dataOff + inner); // TFC padding, §2.7
    writeTrailer(out, dataOff + inner, icvOff, nextHeader);

    const iv = this.iv;
    if (this.ivSource) {
      this.ivSource(seq64(hi, lo), iv);
      out.set(iv, ESP_HEADER_LEN);
    } else if (this.kind === 'cbc') {
      this.rng.fill(iv);
      out.set(iv, ESP_HEADER_LEN);
    } else if (this.kind === 'aead' || this.kind === 'gmac') {
      // RFC 4106 §3.1 / RFC 7634 §2: the 64-bit sequence number is a unique IV
      writeU32(out, ESP_HEADER_LEN, hi);
      writeU32(out, ESP_HEADER_LEN + 4, lo);
      writeU32(iv, 0, hi);
      writeU32(iv, 4, lo);
    }

    switch (this.kind) {
      case 'aead': {
        this.fillAad(hi, lo);
        (this.aead as AeadContext).sealPacket(out, this.aad, ESP_HEADER_LEN, dataOff, plainLen);
        break;
      }
      case 'gmac': {
        // RFC 4543 §3.3: everything is AAD, nothing is encrypted
        const aad = this.gmacAadFor(out, hi, icvOff);
        (this.aead as AeadContext).seal(iv, aad, this.empty, out.subarray(icvOff, total));
        break;
      }
      default: {
        if (this.cbc) this.cbc.encrypt(iv, out.subarray(dataOff, icvOff));
        this.computeMac(out, icvOff, hi);
        out.set(this.icv, icvOff);
      }
    }

    // advance the counter; it never cycles (RFC 4303 §3.3.3)
    if (lo === 0xffff_ffff) {
      this.seqLo = 0;
      if (!this.cfg.esn || hi === 0xffff_ffff) this.seqExhausted = true;
      else this.seqHi = hi + 1;
    } else {
      this.seqLo = lo + 1;
    }
    const lifetime = this.lifetime.account(payloadLen);
    this.counters.packets += 1;
    this.counters.bytes += payloadLen;
    return new Sealed(total, hi, lo, lifetime);
  }

  /**
   * Decapsulate one ESP packet (SPI .. ICV), decrypting IN PLACE. Order (RFC 4303
   * §3.4.2-§3.4.4, App. A): length checks, SPI, replay check, ICV, window update,
   * decryption, padding check, next header.
   * @returns `{ok:true, nextHeader, payload, seq, lifetime}` where `payload` is a
   *   view into `esp` without padding but with any TFC padding (the inner IP
   *   header's length field gives the true length, RFC 4303 §2.7), or a drop:
   *   'truncated' (too short for header, IV, trailer and ICV, or CBC ciphertext
   *   not block-aligned), 'unknown-spi' (SPI is not this SA's),
   *   'lifetime-expired', 'replay' (duplicate, left of the window, seq 0, or the
   *   window moved past it while verifying), 'icv' (integrity check failed),
   *   'bad-padding' (pad length too long or pad bytes not 1, 2, 3, ...),
   *   'dummy' (next header 59, RFC 4303 §2.6), 'bad-next-header' (not 4 or 41 on
   *   a tunnel-mode SA). Never throws on any input.
   * @throws Error only on misuse: open() on an outbound SA.
   */
  open(esp: Uint8Array): OpenResult {
    if (this.direction !== 'in') throw new Error('assertion failed: open() on an outbound SA');
    const len = esp.length;
    const dataOff = this.payloadOffset;
    const plainLen = len - dataOff - this.icvLen;
    if (plainLen < 2) return this.drop('truncated');
    const cbc = this.cbc;
    if (cbc && plainLen % cbc.blockLen !== 0) return this.drop('truncated');
    if (readU32(esp, 0) !== this.cfg.spi) return this.drop('unknown-spi');
    if (this.lifetime.expired) return this.drop('lifetime-expired');

    const replay = this.replay as ReplayWindow;
    const lo = readU32(esp, 4);
    const hi = replay.check(lo);
    if (hi === REPLAY) return this.drop('replay');

    const icvOff = dataOff + plainLen;
    const iv = this.iv;
    let verified: boolean;
    switch (this.kind) {
      case 'aead':
        this.fillAad(hi, lo);
        verified = (this.aead as AeadContext).openPacket(esp, this.aad, ESP_HEADER_LEN, dataOff, plainLen);
        break;
      case 'gmac':
        for (let i = 0; i < this.ivLen; i++) iv[i] = esp[ESP_HEADER_LEN + i] as number;
        verified = (this.aead as AeadContext).open(
          iv,
          this.gmacAadFor(esp, hi, icvOff),
          this.empty,
          esp.subarray(icvOff, len),
        );
        break;
      default: {
        for (let i = 0; i < this.ivLen; i++) iv[i] = esp[ESP_HEADER_LEN + i] as number;
        this.computeMac(esp, icvOff, hi);
        const icv = this.icv;
        let diff = 0;
        for (let i = 0; i < icv.length; i++) diff |= (icv[i] as number) ^ (esp[icvOff + i] as number);
        verified = diff === 0;
      }
    }
    if (!verified) return this.drop('icv');
    if (!replay.update(hi, lo)) return this.drop('replay');
    if (cbc) cbc.decrypt(iv, esp.subarray(dataOff, icvOff));

    const payloadLen = checkTrailer(esp, dataOff, icvOff);
    if (payloadLen < 0) return this.drop('bad-padding');
    const nextHeader = esp[icvOff - 1] as number;
    if (nextHeader === NEXT_HEADER_DUMMY) return this.drop('dummy');
    if (this.tunnel && nextHeader !== NH_IPV4 && nextHeader !== NH_IPV6) return this.drop('bad-next-header');
    const lifetime = this.lifetime.account(payloadLen);
    this.counters.packets += 1;
    this.counters.bytes += payloadLen;
    return new Opened(nextHeader, esp.subarray(dataOff, dataOff + payloadLen), hi, lo, lifetime);
  }

  private drop(reason: DropReason): { readonly ok: false; readonly reason: DropReason } {
    this.counters.drops[reason] += 1;
    return DROPS[reason];
  }

  private fillAad(hi: number, lo: number): void {
    if (this.cfg.esn) {
      writeU32(this.aad, 4, hi);
      writeU32(this.aad, 8, lo);
    } else {
      writeU32(this.aad, 4, lo);
    }
  }

  /**
   * RFC 4543 §3.3: AAD = SPI | Seq (or SPI | Seq-hi | Seq-lo) | IV | payload |
   * padding | pad length | next header. Without ESN that is the packet itself
   * up to the ICV; with ESN it is copied into a per-SA scratch buffer.
   */
  private gmacAadFor(pkt: Uint8Array, hi: number, icvOff: number): Uint8Array {
    if (!this.cfg.esn) return pkt.subarray(0, icvOff);
    const n = icvOff + 4;
    if (this.gmacAad.length < n) this.gmacAad = new Uint8Array(Math.max(n, 2048));
    const a = this.gmacAad;
    a.set(pkt.subarray(0, 4), 0);
    writeU32(a, 4, hi);
    a.set(pkt.subarray(4, icvOff), 8);
    return a.subarray(0, n);
  }

  /** RFC 4303 §2.2.1/§3.3.2: HMAC over SPI | Seq | IV | ciphertext, then Seq-hi with ESN, into this.icv. */
  private computeMac(pkt: Uint8Array, icvOff: number, hi: number): void {
    let extra: Uint8Array | undefined;
    if (this.cfg.esn) {
      writeU32(this.seqHiBuf, 0, hi);
      extra = this.seqHiBuf;
    }
    (this.mac as MacContext).compute(pkt.subarray(0, icvOff), extra, this.icv);
  }
}
