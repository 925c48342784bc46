/**
 * EspSa.dispose() frees the crypto contexts' native state at once (EVP), so a data plane
 * that removes SAs does not wait for the garbage collector's safety net.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evpLiveNativeObjects, loadEvpBackend } from '../crypto/evp-backend.js';
import type { SaConfig } from '../sad/sa-config.js';
import { parseIp } from '../util/ip-addr.js';
import { SeededRng } from '../util/rng.js';
import { EspSa } from './esp-sa.js';

const cfg = (encr: 'aes-gcm-16' | 'aes-cbc', key: number, integ: 'none' | 'hmac-sha256-128'): SaConfig => ({
  spi: 0x1000,
  src: parseIp('192.0.2.1'),
  dst: parseIp('192.0.2.2'),
  mode: 'tunnel',
  encryption: { algorithm: encr, key: new Uint8Array(key).fill(7) },
  integrity: { algorithm: integ, key: new Uint8Array(integ === 'none' ? 0 : 32).fill(9) },
  encapsulation: { type: 'rfc3948', sport: 4500, dport: 4500 },
  esn: false,
  replayWindow: 64,
  seq: 1n,
});

for (const [name, c] of [
  ['aes-gcm-16', cfg('aes-gcm-16', 20, 'none')],
  ['aes-cbc + hmac-sha256-128', cfg('aes-cbc', 16, 'hmac-sha256-128')],
] as const) {
  test(`EspSa.dispose() frees the EVP contexts of ${name}`, () => {
    const backend = loadEvpBackend();
    const before = evpLiveNativeObjects();
    const sa = new EspSa(c, 'out', { backend, rng: new SeededRng(3n) });
    const out = new Uint8Array(sa.maxSealLength(100));
    const r = sa.seal(4, new Uint8Array(100), out); // contexts are created lazily on first use
    assert.equal(r.ok, true);
    assert.ok(evpLiveNativeObjects() > before, 'sealing allocated native objects');
    sa.dispose();
    assert.equal(evpLiveNativeObjects(), before);
    sa.dispose(); // idempotent
    assert.equal(evpLiveNativeObjects(), before);
  });
}
