/**
 * COOKIE handling (RFC 7296 §2.6). The expected cookie bytes were computed independently:
 *   python3 -c "import hashlib,struct; ni=bytes(range(32)); ip=bytes([192,0,2,7]);
 *     spi=struct.pack('>Q',0x0102030405060708); sec=bytes([0xaa])*32;
 *     print((struct.pack('>I',7)+hashlib.sha256(ni+ip+spi+sec).digest()).hex())"
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cookieHash } from '../crypto/cookie-hash.js';
import { fromHex } from '../util/hex.js';
import type { Rng } from '../util/rng.js';
import { CookieGuard } from './cookie-guard.js';

const ni = new Uint8Array(32).map((_, i) => i);
const ip = new Uint8Array([192, 0, 2, 7]);
const spiI = 0x0102030405060708n;

test('cookie = version | SHA-256(Ni | IPi | SPIi | secret), against python hashlib', () => {
  const got = cookieHash(7, ni, ip, spiI, new Uint8Array(32).fill(0xaa));
  assert.deepEqual(got, fromHex('00000007654011476629bad002f98d555848d1f68a563c7e4a19074bd81efb1934661496'));
});

/** fills with a counter so each secret differs */
class CountingRng implements Rng {
  private n = 1;
  fill(buf: Uint8Array): void {
    buf.fill(this.n++);
  }
}

const settings = { cookieThreshold: 2, perSourceLimit: 3, secretLifetimeMs: 1000 };

test('below the threshold requests are accepted without cookie; above it a cookie is demanded and then accepted', () => {
  const g = new CookieGuard(new CountingRng(), 0, settings);
  assert.deepEqual(g.check(0, 'a', ip, ni, spiI, undefined), { kind: 'accept' });
  g.opened('a');
  g.opened('b');
  const v = g.check(0, 'c', ip, ni, spiI, undefined);
  assert.equal(v.kind, 'send-cookie');
  if (v.kind !== 'send-cookie') return;
  assert.equal(v.cookie.length, 36);
  assert.deepEqual(g.check(10, 'c', ip, ni, spiI, v.cookie), { kind: 'accept' });
  // the cookie is bound to Ni, IPi and SPIi
  assert.equal(g.check(10, 'c', ip, ni, spiI + 1n, v.cookie).kind, 'send-cookie');
  const forged = v.cookie.slice();
  forged[20] = (forged[20] as number) ^ 1;
  assert.equal(g.check(10, 'c', ip, ni, spiI, forged).kind, 'send-cookie');
});

test('a cookie of the previous secret is accepted, one two secrets old is not', () => {
  const g = new CookieGuard(new CountingRng(), 0, settings);
  g.opened('a');
  g.opened('b');
  const v = g.check(0, 'c', ip, ni, spiI, undefined);
  assert.equal(v.kind, 'send-cookie');
  if (v.kind !== 'send-cookie') return;
  assert.deepEqual(g.check(1500, 'c', ip, ni, spiI, v.cookie), { kind: 'accept' });
  assert.equal(g.check(2600, 'c', ip, ni, spiI, v.cookie).kind, 'send-cookie');
});

test('per-source limit drops, and closing frees the slot', () => {
  const g = new CookieGuard(new CountingRng(), 0, { ...settings, cookieThreshold: 100 });
  for (let i = 0; i < 3; i++) g.opened('a');
  assert.deepEqual(g.check(0, 'a', ip, ni, spiI, undefined), { kind: 'drop', reason: 'per-source-limit' });
  assert.deepEqual(g.check(0, 'b', ip, ni, spiI, undefined), { kind: 'accept' });
  g.closed('a');
  assert.equal(g.halfOpen, 2);
  assert.deepEqual(g.check(0, 'a', ip, ni, spiI, undefined), { kind: 'accept' });
  g.closed('zz');
  assert.equal(g.halfOpen, 2);
});
