/**
 * Backend choice. `auto` takes the EVP fast path when koffi and libcrypto.so.3 load
 * (tried once, lazily, then cached by loadEvpBackend) and falls back to node:crypto;
 * `evp` insists and throws the load failure; `node` never touches the FFI.
 */
import { ConfigError, CryptoError } from '../util/errors.js';
import type { CryptoBackend } from './backend.js';
import { LIBCRYPTO, loadEvpBackend } from './evp-backend.js';
import type { NativePreference } from './evp-native.js';
import { nodeBackend } from './node-backend.js';

export type BackendPreference = 'auto' | 'evp' | 'node';

/** Environment variable read by selectBackendFromEnv(). */
export const CRYPTO_ENV = 'ESPRIT_CRYPTO';
/** ESPRIT_NATIVE=off|on|auto: the EVP backend's native AEAD helper (evp-native.ts); off forces the koffi-only path. */
export const NATIVE_ENV = 'ESPRIT_NATIVE';

/**
 * `libcrypto` overrides the library path (tests; non-Debian systems).
 * @throws CryptoError when `pref` is 'evp' and the EVP backend cannot load (the message says why).
 */
export function selectBackend(
  pref: BackendPreference = 'auto',
  libcrypto: string = LIBCRYPTO,
  native: NativePreference = 'auto',
): CryptoBackend {
  switch (pref) {
    case 'node':
      return nodeBackend;
    case 'evp':
      return loadEvpBackend(libcrypto, native);
    case 'auto':
      try {
        return loadEvpBackend(libcrypto, native);
      } catch (e) {
        if (e instanceof CryptoError) return nodeBackend;
        throw e;
      }
  }
}

export function isBackendPreference(s: string): s is BackendPreference {
  return s === 'auto' || s === 'evp' || s === 'node';
}

/**
 * Reads ESPRIT_CRYPTO=node|evp|auto (unset or empty: auto) from `env`.
 * @throws ConfigError (path ESPRIT_CRYPTO) for any other value.
 */
export function backendPreferenceFromEnv(env: Readonly<Record<string, string | undefined>>): BackendPreference {
  const v = env[CRYPTO_ENV]?.trim().toLowerCase() ?? '';
  if (v === '') return 'auto';
  if (!isBackendPreference(v)) throw new ConfigError(CRYPTO_ENV, `must be node, evp or auto, got '${v}'`);
  return v;
}

/**
 * Reads ESPRIT_NATIVE=off|on|auto (unset or empty: auto) from `env`.
 * @throws ConfigError (path ESPRIT_NATIVE) for any other value.
 */
export function nativePreferenceFromEnv(env: Readonly<Record<string, string | undefined>>): NativePreference {
  const v = env[NATIVE_ENV]?.trim().toLowerCase() ?? '';
  if (v === '') return 'auto';
  if (v !== 'auto' && v !== 'on' && v !== 'off')
    throw new ConfigError(NATIVE_ENV, `must be off, on or auto, got '${v}'`);
  return v;
}

/** selectBackend() honouring the ESPRIT_CRYPTO and ESPRIT_NATIVE overrides; the CLI and daemon pass process.env. */
export function selectBackendFromEnv(env: Readonly<Record<string, string | undefined>>): CryptoBackend {
  return selectBackend(backendPreferenceFromEnv(env), LIBCRYPTO, nativePreferenceFromEnv(env));
}
