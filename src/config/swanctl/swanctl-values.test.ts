/**
 * Value syntaxes of swanctl.conf. Expected values from strongSwan 5.9.8 sources and man page:
 * swanctl.conf(5) "rekey_time = 4h" etc. (s/m/h/d time suffixes), vici config.c parse_bytes
 * ("k, m or g" multiply by 1024 each), settings_value_as_bool (yes/true/enabled/1, no/false/
 * disabled/0); secrets per swanctl.conf(5): "0x" hex, "0s" base64 (decoded by python3's
 * base64.b64decode('AQL/') = b'\x01\x02\xff').
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { didYouMean, parseBool, parseCount, parseSecret, parseTime } from './swanctl-values.js';

test('times: plain seconds and s, m, h, d suffixes; anything else is refused', () => {
  assert.equal(parseTime('60'), 60);
  assert.equal(parseTime('60s'), 60);
  assert.equal(parseTime('30m'), 1800);
  assert.equal(parseTime('1h'), 3600);
  assert.equal(parseTime('4h'), 14400);
  assert.equal(parseTime('2d'), 172800);
  for (const bad of ['', 'h', '1w', '-1', '1.5h', '1 h x']) assert.throws(() => parseTime(bad), /not a time/);
});

test('counts: k, m, g multiply by 1024 (vici parse_bytes)', () => {
  assert.equal(parseCount('500'), 500);
  assert.equal(parseCount('64k'), 65536);
  assert.equal(parseCount('1M'), 1048576);
  assert.equal(parseCount('2g'), 2147483648);
  assert.throws(() => parseCount('5t'), /not a number/);
});

test('booleans as settings_value_as_bool', () => {
  for (const t of ['yes', 'true', '1', 'enabled', 'YES']) assert.equal(parseBool(t), true);
  for (const f of ['no', 'false', '0', 'disabled']) assert.equal(parseBool(f), false);
  assert.throws(() => parseBool('maybe'), /not a boolean/);
});

test('secrets: 0x hex, 0s base64, else UTF-8', () => {
  assert.deepEqual([...parseSecret('0x0102ff')], [1, 2, 255]);
  assert.deepEqual([...parseSecret('0sAQL/')], [1, 2, 255]);
  assert.deepEqual([...parseSecret('abc')], [0x61, 0x62, 0x63]);
  assert.throws(() => parseSecret('0x123'), /hex/);
});

test('did-you-mean suggests within two edits only', () => {
  assert.equal(didYouMean('esp_propsals', ['esp_proposals', 'proposals']), 'esp_proposals');
  assert.equal(didYouMean('remote_adrs', ['local_addrs', 'remote_addrs']), 'remote_addrs');
  assert.equal(didYouMean('zzzzzz', ['esp_proposals']), undefined);
});

test('property: every n with a suffix is n times the suffix factor', () => {
  fc.assert(
    fc.property(
      fc.nat(100000),
      fc.constantFrom(['', 1], ['s', 1], ['m', 60], ['h', 3600], ['d', 86400]),
      (n, [s, f]) => {
        return parseTime(`${n}${s}`) === n * (f as number);
      },
    ),
  );
});
