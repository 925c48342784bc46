/**
 * esprit's optional native helper (native/*.c, built at install time by
 * scripts/build-native.mjs into build/native/esprit-native.node): an N-API addon with the
 * per-packet calls that are too costly through koffi or in JavaScript: one ESP packet's
 * AEAD seal/open (evp-native.ts, docs/dataplane.md §10.6), the Internet checksum for the
 * TUN offloads (dataplane/ones-sum.ts) and fd readiness on Node's event loop
 * (io/uv-poller.ts) (§10.8). A call through N-API costs ~45 ns against
 * koffi's ~120-140 ns here (§10.8).
 *
 * Loaded with process.dlopen (whatever the file is named: a path is never evaluated as
 * JavaScript), once per path. Everything that uses it has a fallback when it is missing.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `auto`: use the helper when it loads; `off`: never (the fallback, for tests and A/B runs); `on`: insist. */
export type NativePreference = 'auto' | 'off' | 'on';

/** native/esprit-native.h ESPRIT_NATIVE_ABI */
const ABI = 2;

/** The addon's exports (native/esprit-napi.c); addresses are plain numbers. */
export interface NativeAddon {
  readonly aeadInit: (libcrypto: string) => number;
  /** esprit_aead_seal(ctx, packet address, job address) */
  readonly aeadSeal: (ctx: number, pkt: number, job: number) => number;
  readonly aeadOpen: (ctx: number, pkt: number, job: number) => number;
  /** RFC 1071 sum of [address, address + length) added to `sum` (16 bits), folded; -1 on bad arguments */
  readonly onesSum: (address: number, length: number, sum: number) => number;
  /** the address of an ArrayBuffer's bytes; 0 when it has none (not an ArrayBuffer) */
  readonly addressOf: (ab: ArrayBufferLike) => number;
  /** fd readiness on Node's event loop (native/esprit-uv-poll.c; io/uv-poller.ts NativePoll) */
  readonly pollOpen: (fd: number, ready: (events: number) => void) => number;
  readonly pollStart: (id: number) => number;
  readonly pollStop: (id: number) => number;
  readonly pollClose: (id: number) => number;
  /** the file it was loaded from */
  readonly path: string;
}

/** build/native/esprit-native.node from dist/src/crypto/ (compiled) or src/crypto/. */
export function nativeAddonPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const up = here.includes(`${join('dist', 'src', 'crypto')}`) ? '../../..' : '../..';
  return join(here, up, 'build', 'native', 'esprit-native.node');
}

const loaded = new Map<string, NativeAddon>();

/**
 * Loads the addon at `path` (once per path) and checks its ABI number.
 * @throws Error saying why it cannot be used (missing file, not loadable, other ABI).
 */
export function loadNativeAddon(path: string = nativeAddonPath()): NativeAddon {
  const known = loaded.get(path);
  if (known) return known;
  const mod = { exports: {} as Record<string, unknown> };
  try {
    process.dlopen(mod, path);
  } catch (e) {
    // not built (no compiler at install time), or not loadable here
    throw new Error(`cannot load ${path} (built by scripts/build-native.mjs): ${(e as Error).message}`);
  }
  const x = mod.exports;
  const fn = (name: string): ((...a: never[]) => number) => {
    const f = x[name];
    if (typeof f !== 'function') throw new Error(`${path}: no ${name}() (rebuild it)`);
    return f as (...a: never[]) => number;
  };
  const abi = fn('abi')();
  if (abi !== ABI) throw new Error(`${path}: ABI ${abi}, expected ${ABI} (rebuild it)`);
  const addon: NativeAddon = {
    aeadInit: fn('aeadInit') as NativeAddon['aeadInit'],
    aeadSeal: fn('aeadSeal') as NativeAddon['aeadSeal'],
    aeadOpen: fn('aeadOpen') as NativeAddon['aeadOpen'],
    onesSum: fn('onesSum') as NativeAddon['onesSum'],
    addressOf: fn('addressOf') as NativeAddon['addressOf'],
    pollOpen: fn('pollOpen') as NativeAddon['pollOpen'],
    pollStart: fn('pollStart') as NativeAddon['pollStart'],
    pollStop: fn('pollStop') as NativeAddon['pollStop'],
    pollClose: fn('pollClose') as NativeAddon['pollClose'],
    path,
  };
  loaded.set(path, addon);
  return addon;
}

/**
 * The addon as `pref` asks: undefined for `off`, or when it cannot load under `auto`.
 * @throws Error under `on` when it cannot load.
 */
export function nativeAddonFor(pref: NativePreference, path: string = nativeAddonPath()): NativeAddon | undefined {
  if (pref === 'off') return undefined;
  try {
    return loadNativeAddon(path);
  } catch (e) {
    if (pref === 'on') throw e;
    return undefined;
  }
}
