/**
 * Fast-path backend: OpenSSL 3 EVP in Debian's libcrypto.so.3, called through the
 * koffi FFI. Each context owns native EVP_CIPHER_CTX / HMAC_CTX objects keyed once
 * and reused for every packet; a packet only resets the IV (dataplane-notes.md:
 * ~4x node:crypto for AES-GCM at 1400 bytes).
 *
 *   seal (AEAD)  IV reset (restart(): see below)
 *                EVP_CipherUpdate(ctx, NULL, &n, aad, aadLen)     AAD: NULL out
 *                EVP_CipherUpdate(ctx, data, &n, data, dataLen)   in place
 *                EVP_CipherFinal_ex(ctx, scratch, &n)
 *                EVP_CIPHER_CTX_get_params(ctx, {tag})            truncated tag, in place
 *   open (AEAD)  IV reset with the expected tag, AAD, data, Final == 1
 *   IV reset     AES-GCM: EVP_CIPHER_CTX_set_params(ctx, {tlsivfixed = salt|iv (size -1)[, tag]});
 *                ChaCha20-Poly1305: EVP_CipherInit_ex (seal), EVP_CipherInit_ex2 with {tag} (open)
 *                (the OSSL_PARAM arrays are prepared once in the arena, evp-arena.ts)
 *   sealPacket/openPacket  the same on one packet with offsets: no views, the packet's address cached;
 *                with the native helper (evp-native.ts) all of it in ONE call per packet
 *   CBC          init IV, one Update over whole blocks (padding off)
 *   HMAC         HMAC_Init_ex(ctx, NULL, 0, NULL, NULL) (reuse key), Update(s), Final
 *
 * Safety: C trusts every pointer/length pair, so each call is preceded by the
 * TypeScript checks in checks.ts, every pointer into a caller's buffer is
 * `address(view.buffer) + view.byteOffset` with the view's own length, and a disposed
 * context refuses to run.
 *
 * Lifetime: every context has `dispose()`, which frees its native objects at once
 * (idempotent; later calls throw CryptoError). A FinalizationRegistry frees the
 * objects of contexts that are dropped without dispose(), as a safety net only:
 * GC timing is unpredictable, so owners of SAs should call disposeContext().
 */
import { CryptoError } from '../util/errors.js';
import type { AeadCipher, AeadContext, CbcCipher, CbcContext, CryptoBackend, MacContext } from './backend.js';
import { checkAeadArgs, checkAeadKey, checkAeadPacket, checkCbcKey, checkFfiLength, checkMacKey } from './checks.js';
import {
  type Addr,
  type Arena,
  bindLibcrypto,
  bufferBase,
  cipherUpdate,
  ivTagParam,
  type Libcrypto,
  OFF_FINAL,
  OFF_IV,
  OFF_OUTL,
  OFF_PARAM_IV,
  OFF_TAG,
  tagParam,
  viewBase,
} from './evp-arena.js';
import { EvpCbc } from './evp-cbc.js';
import { EvpContext, fail } from './evp-context.js';
import { EvpMac } from './evp-mac.js';
import {
  FLAG_IVFIXED,
  JOB_AAD,
  JOB_AAD_LEN,
  JOB_AAD_MAX,
  JOB_DATA_LEN,
  JOB_DATA_OFF,
  JOB_FLAGS,
  JOB_ICV_LEN,
  JOB_IV_OFF,
  JOB_NONCE,
  loadNativeAead,
  type NativeAead,
  type NativePreference,
  R_IVFIXED_REFUSED,
  R_OK,
} from './evp-native.js';
import { nativeAddonPath } from './native-addon.js';
import type { HashName } from './suites.js';

export { evpLiveNativeObjects } from './evp-context.js';

/** openssl/evp.h (3.0) */
const EVP_CTRL_AEAD_SET_IVLEN = 0x9;
const EVP_CTRL_AEAD_GET_TAG = 0x10;
const EVP_CTRL_AEAD_SET_TAG = 0x11;

let nativeCalls = 0;

/** Packets sealed or opened through the native helper so far (tests prove the path ran). */
export function evpNativeCalls(): number {
  return nativeCalls;
}

/** AES-GCM (RFC 4106) and ChaCha20-Poly1305 (RFC 7634); one EVP_CIPHER_CTX per direction, made on first use. */
class EvpAead extends EvpContext implements AeadContext {
  private readonly key: Uint8Array;
  private readonly salt: Uint8Array;
  private sealCtx = 0;
  private openCtx = 0;

  constructor(
    private readonly L: Libcrypto,
    private readonly A: Arena,
    private readonly N: NativeAead | undefined,
    private readonly cipher: Addr,
    private readonly gcm: boolean,
    key: Uint8Array,
    salt: Uint8Array,
    readonly icvLen: number,
  ) {
    super(L.EVP_CIPHER_CTX_free);
    this.key = key.slice();
    this.salt = salt.slice();
  }

  /**
   * Per packet, after the nonce is in the arena: reset the IV and, on open (enc 0), set the
   * expected tag of icvLen bytes at `tagAt`. AES-GCM: one set_params {tlsivfixed[, tag]}
   * (evp-arena.ts prepareParams); otherwise EVP_CipherInit_ex2 with {tag} on open and
   * EVP_CipherInit_ex on seal; without LP64 OSSL_PARAMs, EVP_CipherInit_ex and SET_TAG.
   */
  private restart(ctx: Addr, enc: 0 | 1, tagAt: Addr): void {
    const { L, A } = this;
    const base = A.base;
    if (this.gcm && A.ivFixed) {
      const p = enc === 1 ? base + OFF_PARAM_IV : ivTagParam(A, tagAt, this.icvLen);
      if (L.EVP_CIPHER_CTX_set_params(ctx, p) === 1) return;
      A.ivFixed = false; // refused by this libcrypto: the EVP_CipherInit path from now on
    }
    if (enc === 1) {
      if (L.EVP_CipherInit_ex(ctx, 0, 0, 0, base + OFF_IV, 1) !== 1) fail('EVP_CipherInit_ex(iv)');
    } else if (A.params) {
      if (L.EVP_CipherInit_ex2(ctx, 0, 0, base + OFF_IV, 0, tagParam(A, tagAt, this.icvLen)) !== 1) {
        fail('EVP_CipherInit_ex2(iv, tag)');
      }
    } else {
      if (L.EVP_CipherInit_ex(ctx, 0, 0, 0, base + OFF_IV, 0) !== 1) fail('EVP_CipherInit_ex(iv)');
      if (L.EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, this.icvLen, tagAt) !== 1) {
        fail('EVP_CTRL_AEAD_SET_TAG');
      }
    }
  }

  private ready(enc: 0 | 1): Addr {
    this.live();
    const L = this.L;
    const ctx = this.owned.add(L.EVP_CIPHER_CTX_new(), 'EVP_CIPHER_CTX_new');
    if (L.EVP_CipherInit_key(ctx, this.cipher, 0, null, 0, enc) !== 1) fail('EVP_CipherInit_ex(cipher)');
    if (L.EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, 12, 0) !== 1) fail('EVP_CTRL_AEAD_SET_IVLEN');
    if (L.EVP_CipherInit_key(ctx, 0, 0, this.key, 0, enc) !== 1) fail('EVP_CipherInit_ex(key)');
    if (enc === 1) this.sealCtx = ctx;
    else this.openCtx = ctx;
    return ctx;
  }

  /** RFC 4106 §4 / RFC 7634 §2: nonce = salt(4) | explicit IV(8), written to the arena. */
  private nonce(iv: Uint8Array): void {
    this.A.nonceOwner = this;
    const b = this.A.bytes;
    const s = this.salt;
    b[OFF_IV] = s[0] ?? 0;
    b[OFF_IV + 1] = s[1] ?? 0;
    b[OFF_IV + 2] = s[2] ?? 0;
    b[OFF_IV + 3] = s[3] ?? 0;
    for (let i = 0; i < 8; i++) b[OFF_IV + 4 + i] = iv[i] ?? 0;
  }

  /**
   * nonce() with the explicit IV read from pkt[at, at+8) (checked by the caller). The salt
   * is written only when another context wrote the arena's nonce last.
   */
  private nonceAt(pkt: Uint8Array, at: number): void {
    const A = this.A;
    const b = A.bytes;
    if (A.nonceOwner !== this) {
      const s = this.salt;
      b[OFF_IV] = s[0] ?? 0;
      b[OFF_IV + 1] = s[1] ?? 0;
      b[OFF_IV + 2] = s[2] ?? 0;
      b[OFF_IV + 3] = s[3] ?? 0;
      A.nonceOwner = this;
    }
    for (let i = 0; i < 8; i++) b[OFF_IV + 4 + i] = pkt[at + i] ?? 0;
  }

  /**
   * The whole packet in one native call (native/esprit-aead.c), after the caller's
   * checkAeadPacket: fills the job block (offsets, AAD, the salt when another context
   * wrote it last) and returns the helper's result, or -1000 when the helper does not
   * apply (absent, AAD above the job's slot, a buffer without a stable address).
   */
  private native(
    enc: 0 | 1,
    pkt: Uint8Array,
    aad: Uint8Array,
    ivOff: number,
    dataOff: number,
    dataLen: number,
  ): number {
    const N = this.N;
    if (N === undefined || aad.length > JOB_AAD_MAX) return -1000;
    const A = this.A;
    const p = viewBase(A, pkt);
    if (p < 0) return -1000;
    const ctx = enc === 1 ? this.sealCtx || this.ready(1) : this.openCtx || this.ready(0);
    const j = N.i32;
    j[JOB_IV_OFF >> 2] = ivOff;
    j[JOB_DATA_OFF >> 2] = dataOff;
    j[JOB_DATA_LEN >> 2] = dataLen;
    j[JOB_ICV_LEN >> 2] = this.icvLen;
    j[JOB_AAD_LEN >> 2] = aad.length;
    j[JOB_FLAGS >> 2] = this.gcm && A.ivFixed ? FLAG_IVFIXED : 0;
    const b = N.bytes;
    if (N.nonceOwner !== this) {
      // RFC 4106 §4 / RFC 7634 §2: nonce = salt(4) | IV(8); the helper copies the IV
      const s = this.salt;
      b[JOB_NONCE] = s[0] ?? 0;
      b[JOB_NONCE + 1] = s[1] ?? 0;
      b[JOB_NONCE + 2] = s[2] ?? 0;
      b[JOB_NONCE + 3] = s[3] ?? 0;
      N.nonceOwner = this;
    }
    for (let i = 0; i < aad.length; i++) b[JOB_AAD + i] = aad[i] ?? 0;
    nativeCalls++;
    const r = enc === 1 ? N.seal(ctx, p, N.job) : N.open(ctx, p, N.job);
    if (r >= 0 && (r & R_IVFIXED_REFUSED) !== 0) A.ivFixed = false; // the EVP_CipherInit path from now on
    return r;
  }

  sealPacket(pkt: Uint8Array, aad: Uint8Array, ivOff: number, dataOff: number, dataLen: number): void {
    checkAeadPacket(pkt, ivOff, dataOff, dataLen, this.icvLen);
    checkFfiLength('AAD', aad.length);
    const r = this.native(1, pkt, aad, ivOff, dataOff, dataLen);
    if (r !== -1000) {
      if (r < 0 || (r & R_OK) === 0) fail(`esprit_aead_seal (${r})`);
      return;
    }
    const { L, A } = this;
    const p = A.params ? viewBase(A, pkt) : -1;
    if (p < 0) {
      const end = dataOff + dataLen;
      this.seal(pkt.subarray(ivOff, ivOff + 8), aad, pkt.subarray(dataOff, end), pkt.subarray(end, end + this.icvLen));
      return;
    }
    const ctx = this.sealCtx || this.ready(1);
    const base = A.base;
    this.nonceAt(pkt, ivOff);
    this.restart(ctx, 1, 0);
    if (!cipherUpdate(L, A, ctx, aad, false)) fail('EVP_CipherUpdate(aad)');
    // in place: dataOff + dataLen + icvLen <= pkt.length (checkAeadPacket)
    const at = p + dataOff;
    if (dataLen > 0) {
      if (L.EVP_CipherUpdate(ctx, at, base + OFF_OUTL, at, dataLen) !== 1 || A.i32[OFF_OUTL >> 2] !== dataLen) {
        fail('EVP_CipherUpdate(data)');
      }
    }
    if (L.EVP_CipherFinal_ex(ctx, base + OFF_FINAL, base + OFF_OUTL) !== 1) fail('EVP_CipherFinal_ex');
    // RFC 4106 §6: the leading icvLen bytes of the tag, written right after the ciphertext
    if (L.EVP_CIPHER_CTX_get_params(ctx, tagParam(A, at + dataLen, this.icvLen)) !== 1) fail('get_params(tag)');
  }

  openPacket(pkt: Uint8Array, aad: Uint8Array, ivOff: number, dataOff: number, dataLen: number): boolean {
    checkAeadPacket(pkt, ivOff, dataOff, dataLen, this.icvLen);
    checkFfiLength('AAD', aad.length);
    const r = this.native(0, pkt, aad, ivOff, dataOff, dataLen);
    if (r !== -1000) {
      if (r < 0) fail(`esprit_aead_open (${r})`);
      return (r & R_OK) !== 0;
    }
    const { L, A } = this;
    const p = A.params ? viewBase(A, pkt) : -1;
    if (p < 0) {
      const end = dataOff + dataLen;
      return this.open(
        pkt.subarray(ivOff, ivOff + 8),
        aad,
        pkt.subarray(dataOff, end),
        pkt.subarray(end, end + this.icvLen),
      );
    }
    const ctx = this.openCtx || this.ready(0);
    const base = A.base;
    this.nonceAt(pkt, ivOff);
    const at = p + dataOff;
    // the IV, then the expected tag (OSSL_CIPHER_PARAM_AEAD_TAG, read now: icvLen bytes after the data)
    this.restart(ctx, 0, at + dataLen);
    if (!cipherUpdate(L, A, ctx, aad, false)) fail('EVP_CipherUpdate(aad)');
    if (dataLen > 0) {
      if (L.EVP_CipherUpdate(ctx, at, base + OFF_OUTL, at, dataLen) !== 1 || A.i32[OFF_OUTL >> 2] !== dataLen) {
        fail('EVP_CipherUpdate(data)');
      }
    }
    return L.EVP_CipherFinal_ex(ctx, base + OFF_FINAL, base + OFF_OUTL) === 1;
  }

  seal(iv: Uint8Array, aad: Uint8Array, data: Uint8Array, tag: Uint8Array): void {
    checkAeadArgs(iv, tag, this.icvLen);
    checkFfiLength('AAD', aad.length);
    checkFfiLength('data', data.length);
    const ctx = this.sealCtx || this.ready(1);
    const { L, A } = this;
    const base = A.base;
    this.nonce(iv);
    this.restart(ctx, 1, 0);
    if (!cipherUpdate(L, A, ctx, aad, false)) fail('EVP_CipherUpdate(aad)');
    if (!cipherUpdate(L, A, ctx, data, true)) fail('EVP_CipherUpdate(data)');
    if (L.EVP_CipherFinal_ex(ctx, base + OFF_FINAL, base + OFF_OUTL) !== 1) fail('EVP_CipherFinal_ex');
    // RFC 4106 §6: a truncated ICV is the leading icvLen bytes of the full tag; GET_TAG
    // writes exactly icvLen bytes (tag.length === icvLen, checked above)
    const tagBase = bufferBase(A, tag);
    const tagAt = tagBase >= 0 ? tagBase + tag.byteOffset : base + OFF_TAG;
    if (A.params) {
      if (L.EVP_CIPHER_CTX_get_params(ctx, tagParam(A, tagAt, this.icvLen)) !== 1) fail('get_params(tag)');
    } else if (L.EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, this.icvLen, tagAt) !== 1) {
      fail('EVP_CTRL_AEAD_GET_TAG');
    }
    if (tagBase < 0) {
      const b = A.bytes;
      for (let i = 0; i < this.icvLen; i++) tag[i] = b[OFF_TAG + i] ?? 0;
    }
  }

  open(iv: Uint8Array, aad: Uint8Array, data: Uint8Array, tag: Uint8Array): boolean {
    checkAeadArgs(iv, tag, this.icvLen);
    checkFfiLength('AAD', aad.length);
    checkFfiLength('data', data.length);
    const ctx = this.openCtx || this.ready(0);
    const { L, A } = this;
    const base = A.base;
    this.nonce(iv);
    // SET_TAG reads exactly icvLen bytes (tag.length === icvLen, checked above)
    const tagBase = bufferBase(A, tag);
    let tagAt = base + OFF_TAG;
    if (tagBase >= 0) tagAt = tagBase + tag.byteOffset;
    else {
      const b = A.bytes;
      for (let i = 0; i < this.icvLen; i++) b[OFF_TAG + i] = tag[i] ?? 0;
    }
    this.restart(ctx, 0, tagAt);
    if (!cipherUpdate(L, A, ctx, aad, false)) fail('EVP_CipherUpdate(aad)');
    if (!cipherUpdate(L, A, ctx, data, true)) fail('EVP_CipherUpdate(data)');
    return L.EVP_CipherFinal_ex(ctx, base + OFF_FINAL, base + OFF_OUTL) === 1;
  }

  protected wipe(): void {
    this.sealCtx = 0;
    this.openCtx = 0;
    this.key.fill(0);
  }
}

const OSSL_HASH: Readonly<Record<HashName, string>> = {
  md5: 'MD5',
  sha1: 'SHA1',
  sha256: 'SHA2-256',
  sha384: 'SHA2-384',
  sha512: 'SHA2-512',
};

function cipherName(cipher: AeadCipher | CbcCipher, keyLen: number): string {
  switch (cipher) {
    case 'aes-gcm':
      return `AES-${keyLen * 8}-GCM`;
    case 'chacha20-poly1305':
      return 'ChaCha20-Poly1305';
    case 'aes-cbc':
      return `AES-${keyLen * 8}-CBC`;
    case '3des-cbc':
      return 'DES-EDE3-CBC';
  }
}

/** The EVP backend plus its explicit-lifetime extras. */
export interface EvpBackend extends CryptoBackend {
  readonly name: 'evp';
  /** OpenSSL_version_num() of the loaded libcrypto, e.g. 0x30000130 */
  readonly opensslVersion: number;
  /** the native AEAD helper's path when this backend seals/opens packets through it (evp-native.ts) */
  readonly nativeHelper: string | undefined;
}

function makeEvpBackend(L: Libcrypto, A: Arena, N: NativeAead | undefined): EvpBackend {
  const ciphers = new Map<string, Addr>();
  const mds = new Map<string, Addr>();
  // EVP_*_fetch once per algorithm; the fetched objects live as long as the process
  const cipher = (name: string): Addr => {
    let c = ciphers.get(name);
    if (c === undefined) {
      c = L.EVP_CIPHER_fetch(0, name, 0) || fail(`EVP_CIPHER_fetch(${name})`);
      ciphers.set(name, c);
    }
    return c;
  };
  const md = (name: string): Addr => {
    let m = mds.get(name);
    if (m === undefined) {
      m = L.EVP_MD_fetch(0, name, 0) || fail(`EVP_MD_fetch(${name})`);
      mds.set(name, m);
    }
    return m;
  };
  return {
    name: 'evp',
    opensslVersion: L.version,
    nativeHelper: N?.path,
    aead(c, key, salt, icvLen) {
      checkAeadKey(c, key, salt, icvLen);
      return new EvpAead(L, A, N, cipher(cipherName(c, key.length)), c === 'aes-gcm', key, salt, icvLen);
    },
    cbc(c, key) {
      checkCbcKey(c, key);
      return new EvpCbc(L, A, cipher(cipherName(c, key.length)), c, key);
    },
    mac(hash, key, icvLen) {
      checkMacKey(hash, key, icvLen);
      return new EvpMac(L, A, md(OSSL_HASH[hash]), key, icvLen);
    },
  };
}

const arenas: Arena[] = [];

/**
 * The AES-GCM "tlsivfixed" IV path (evp-arena.ts prepareParams) of every loaded EVP
 * backend: `on` false forces the EVP_CipherInit path, true re-enables it where the arena
 * allows OSSL_PARAMs. Returns whether the path is on everywhere, so tests can run the same
 * vectors both ways and prove the fast path was not turned off by a refusal.
 */
export function evpIvFixedPath(on?: boolean): boolean {
  for (const A of arenas) if (on !== undefined) A.ivFixed = on && A.params;
  return arenas.length > 0 && arenas.every((A) => A.ivFixed);
}

/** Debian's OpenSSL 3 libcrypto (package libssl3 / libssl3t64). */
export const LIBCRYPTO = 'libcrypto.so.3';

const bindings = new Map<string, { L: Libcrypto; arena: Arena } | { error: CryptoError }>();
const backends = new Map<string, EvpBackend | CryptoError>();

function bind(libPath: string): { L: Libcrypto; arena: Arena } {
  let b = bindings.get(libPath);
  if (b === undefined) {
    try {
      const { L, arena } = bindLibcrypto(libPath);
      if (L.version < 0x30000000) throw new Error(`OpenSSL ${L.version.toString(16)} is older than 3.0`);
      b = { L, arena };
      arenas.push(arena);
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      b = { error: new CryptoError(`EVP backend unavailable (${libPath}): ${why}`) };
    }
    bindings.set(libPath, b);
  }
  if ('error' in b) throw b.error;
  return b;
}

/**
 * Loads koffi and libcrypto (default libcrypto.so.3) on first call and caches the
 * outcome per library path and `native` choice. `native` (evp-native.ts): `auto` packs
 * each AEAD packet into one call to the native helper when it is built and loads, else
 * keeps the koffi-only path; `off` always keeps it (the fallback, testable on a machine
 * that has the helper); `on` throws when the helper cannot be used. `helperPath`: tests.
 * @throws CryptoError naming the reason when either cannot be loaded or is not OpenSSL 3.
 */
export function loadEvpBackend(
  libPath: string = LIBCRYPTO,
  native: NativePreference = 'auto',
  helperPath: string = nativeAddonPath(),
): EvpBackend {
  const id = `${native}\0${libPath}\0${helperPath}`;
  let c = backends.get(id);
  if (c === undefined) {
    try {
      const { L, arena } = bind(libPath);
      let N: NativeAead | undefined;
      if (native !== 'off') {
        try {
          N = loadNativeAead(libPath, helperPath);
        } catch (e) {
          if (native === 'on') throw new CryptoError(`native AEAD helper unavailable: ${(e as Error).message}`);
        }
      }
      c = makeEvpBackend(L, arena, N);
    } catch (e) {
      c = e instanceof CryptoError ? e : new CryptoError(String(e));
    }
    backends.set(id, c);
  }
  if (c instanceof CryptoError) throw c;
  return c;
}

/**
 * Frees a context's native objects now (EVP contexts), or does nothing (node:crypto
 * contexts hold no native state). The SA owner calls this when it deletes an SA.
 */
export function disposeContext(ctx: AeadContext | CbcContext | MacContext): void {
  if (ctx instanceof EvpContext) ctx.dispose();
}
