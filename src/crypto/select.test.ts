import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, CryptoError } from '../util/errors.js';
import { backendsUnderTest } from './backends-under-test.js';
import type { EvpBackend } from './evp-backend.js';
import { nodeBackend } from './node-backend.js';
import { backendPreferenceFromEnv, nativePreferenceFromEnv, selectBackend, selectBackendFromEnv } from './select.js';

const missing = 'libcrypto-esprit-missing.so.3';
const evpLoads = backendsUnderTest().some((b) => b.name === 'evp');

describe('selectBackend', () => {
  it("'node' is node:crypto", () => {
    assert.equal(selectBackend('node'), nodeBackend);
  });

  it("'auto' falls back to node:crypto when libcrypto cannot load", () => {
    assert.equal(selectBackend('auto', missing), nodeBackend);
  });

  it("'evp' throws a CryptoError with the reason when libcrypto cannot load", () => {
    assert.throws(
      () => selectBackend('evp', missing),
      (e: unknown) => e instanceof CryptoError && e.message.includes(missing),
    );
  });

  it("'auto' and 'evp' pick EVP where libcrypto.so.3 loads, and cache it", () => {
    assert.equal(selectBackend('auto').name, evpLoads ? 'evp' : 'node');
    if (evpLoads) assert.equal(selectBackend('evp'), selectBackend('auto'));
  });
});

describe('ESPRIT_CRYPTO', () => {
  it('maps node|evp|auto, any case, unset or empty to auto', () => {
    assert.equal(backendPreferenceFromEnv({ ESPRIT_CRYPTO: 'node' }), 'node');
    assert.equal(backendPreferenceFromEnv({ ESPRIT_CRYPTO: ' EVP ' }), 'evp');
    assert.equal(backendPreferenceFromEnv({ ESPRIT_CRYPTO: 'auto' }), 'auto');
    assert.equal(backendPreferenceFromEnv({ ESPRIT_CRYPTO: '' }), 'auto');
    assert.equal(backendPreferenceFromEnv({}), 'auto');
  });

  it('rejects anything else with a ConfigError on path ESPRIT_CRYPTO', () => {
    assert.throws(
      () => backendPreferenceFromEnv({ ESPRIT_CRYPTO: 'openssl' }),
      (e: unknown) => e instanceof ConfigError && e.path === 'ESPRIT_CRYPTO',
    );
  });

  it('selectBackendFromEnv honours the override', () => {
    assert.equal(selectBackendFromEnv({ ESPRIT_CRYPTO: 'node' }), nodeBackend);
  });
});

describe('ESPRIT_NATIVE', () => {
  it('maps off|on|auto, any case, unset or empty to auto; rejects anything else on path ESPRIT_NATIVE', () => {
    assert.equal(nativePreferenceFromEnv({ ESPRIT_NATIVE: 'OFF ' }), 'off');
    assert.equal(nativePreferenceFromEnv({ ESPRIT_NATIVE: 'on' }), 'on');
    assert.equal(nativePreferenceFromEnv({ ESPRIT_NATIVE: '' }), 'auto');
    assert.equal(nativePreferenceFromEnv({}), 'auto');
    assert.throws(
      () => nativePreferenceFromEnv({ ESPRIT_NATIVE: '1' }),
      (e: unknown) => e instanceof ConfigError && e.path === 'ESPRIT_NATIVE',
    );
  });

  it('selectBackendFromEnv: ESPRIT_NATIVE=off gives the EVP backend without the helper', () => {
    if (!evpLoads) return;
    const b = selectBackendFromEnv({ ESPRIT_CRYPTO: 'evp', ESPRIT_NATIVE: 'off' }) as EvpBackend;
    assert.equal(b.name, 'evp');
    assert.equal(b.nativeHelper, undefined);
  });
});
