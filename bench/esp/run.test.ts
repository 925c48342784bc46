/**
 * The ESP benchmark runs (short mode, 1400 bytes, one suite per kind: AEAD, CBC+HMAC,
 * NULL+HMAC, GMAC) on both layers and both backends, and yields one well-formed row per
 * case with positive rates. No thresholds and no timing assertions: this only keeps the
 * benchmark code exercised. `openssl speed` is left out (seconds of CPU; it is a CLI).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_OPTIONS, runBench } from './run.js';

const SUITES = ['aes-gcm-16 (128)', 'aes-cbc-128 + hmac-sha256-128', 'null + hmac-sha256-128', 'aes-gmac-128'];

test('short benchmark: crypto and esp layers, node, evp-ffi and evp, one suite per kind, 1400 bytes', () => {
  const r = runBench({ ...DEFAULT_OPTIONS, short: true, sizes: [1400], suites: SUITES, openssl: false });
  const got = r.rows.map((x) => `${x.layer}|${x.suite}|${x.backend}`).sort();
  const want = ['crypto', 'esp'].flatMap((l) =>
    SUITES.flatMap((s) => ['node', 'evp-ffi', 'evp'].map((b) => `${l}|${s}|${b}`)),
  );
  assert.deepEqual(got, want.sort());
  for (const row of r.rows) {
    assert.equal(row.size, 1400);
    // CBC rounds the crypto layer's payload up to the block; the ESP layer pads inside ESP
    assert.equal(row.bytes, row.layer === 'crypto' && row.suite.includes('cbc') ? 1408 : 1400);
    for (const rate of [row.seal, row.open]) {
      assert.ok(Number.isFinite(rate.pps) && rate.pps > 0, `${row.layer} ${row.suite} ${row.backend}: ${rate.pps}`);
      assert.ok(Math.abs(rate.gbps - (rate.pps * row.bytes * 8) / 1e9) < 1e-9);
    }
  }
  const table = r.markdown.split('\n').filter((l) => /^\| (crypto|esp) \|/.test(l));
  // 24 rows in the main table, 8 (layer, suite) rows in the OpenSSL comparison
  assert.equal(table.length, 24 + 8);
  assert.deepEqual(r.speed, []);
});
