/**
 * Expected pool bounds follow strongSwan's mem_pool.c (mem_pool_create: network ID and
 * last address skipped for CIDR pools > 2 addresses; base inside the subnet starts
 * there; /31 on the network ID serves both; mem_pool_create_range: inclusive range).
 * Addresses are hand-computed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../util/errors.js';
import { AddressPool } from './address-pool.js';

test('IPv4 /24 skips network and broadcast (254 addresses)', () => {
  const p = AddressPool.parse('10.99.100.0/24');
  assert.equal(p.size, 254n);
  assert.equal(p.acquire('a'), '10.99.100.1');
  assert.equal(p.contains('10.99.100.0'), false);
  assert.equal(p.contains('10.99.100.254'), true);
  assert.equal(p.contains('10.99.100.255'), false);
});

test('CIDR with host bits starts at the base; small prefixes', () => {
  const p = AddressPool.parse('10.0.0.5/24');
  assert.equal(p.size, 250n);
  assert.equal(p.acquire('a'), '10.0.0.5');
  const p31 = AddressPool.parse('10.0.0.0/31');
  assert.deepEqual([p31.acquire('a'), p31.acquire('b'), p31.acquire('c')], ['10.0.0.0', '10.0.0.1', undefined]);
  const p31b = AddressPool.parse('10.0.0.1/31');
  assert.deepEqual([p31b.acquire('a'), p31b.acquire('b')], ['10.0.0.1', undefined]);
  const p32 = AddressPool.parse('10.0.0.7/32');
  assert.deepEqual([p32.acquire('a'), p32.acquire('b')], ['10.0.0.7', undefined]);
});

test('range pool, exhaustion, re-lease to the same identity', () => {
  const p = AddressPool.parse('192.0.2.10-192.0.2.12');
  assert.equal(p.size, 3n);
  assert.equal(p.acquire('alice'), '192.0.2.10');
  assert.equal(p.acquire('bob'), '192.0.2.11');
  assert.equal(p.acquire('carol'), '192.0.2.12');
  assert.equal(p.acquire('dave'), undefined);
  assert.equal(p.release('bob', '192.0.2.11'), true);
  assert.equal(p.release('bob', '192.0.2.11'), false);
  assert.equal(p.online, 2);
  assert.equal(p.offlineCount, 1);
  // bob comes back and gets his address again.
  assert.equal(p.acquire('bob'), '192.0.2.11');
  assert.equal(p.offlineCount, 0);
  // Pool full again: dave gets the oldest offline lease once someone leaves.
  assert.equal(p.release('alice', '192.0.2.10'), true);
  assert.equal(p.release('carol', '192.0.2.12'), true);
  assert.equal(p.acquire('dave'), '192.0.2.10');
  assert.equal(p.acquire('alice'), '192.0.2.12');
  assert.equal(p.acquire('carol'), undefined);
});

test('offline leases are kept while unused addresses remain', () => {
  const p = AddressPool.parse('10.1.0.0/29'); // .1 - .6
  assert.equal(p.acquire('a'), '10.1.0.1');
  p.release('a', '10.1.0.1');
  assert.equal(p.acquire('b'), '10.1.0.2');
  assert.equal(p.acquire('a'), '10.1.0.1');
});

test('requested address honoured when free or owned by the same identity', () => {
  const p = AddressPool.parse('10.2.0.0/24');
  assert.equal(p.acquire('a', '10.2.0.50'), '10.2.0.50');
  assert.equal(p.acquire('b', '10.2.0.50'), '10.2.0.1');
  assert.equal(p.acquire('a', '10.2.0.50'), '10.2.0.50');
  assert.equal(p.acquire('c', '10.9.9.9'), '10.2.0.2');
  assert.equal(p.acquire('d', '0.0.0.0'), '10.2.0.3');
  assert.equal(p.acquire('e', 'garbage'), '10.2.0.4');
  assert.equal(p.release('e', 'garbage'), false);
});

test('IPv6 pools are not enumerated', () => {
  const p = AddressPool.parse('fd00:99::/64');
  assert.equal(p.size, (1n << 64n) - 2n);
  assert.equal(p.acquire('a'), 'fd00:99::1');
  assert.equal(p.acquire('b', 'fd00:99::ffff:ffff:ffff:fffe'), 'fd00:99::ffff:ffff:ffff:fffe');
  assert.equal(p.contains('fd00:99::ffff:ffff:ffff:ffff'), false);
  const big = AddressPool.parse('2001:db8::/16');
  // Base is not the network ID: the pool starts at the base itself (mem_pool.c).
  assert.equal(big.acquire('x'), '2001:db8::');
});

test('bad pool values are ConfigErrors', () => {
  for (const v of ['10.0.0.9-10.0.0.1', '10.0.0.1-fd00::1', '10.0.0.1', '10.0.0.0/33', 'nope/24']) {
    assert.throws(() => AddressPool.parse(v), ConfigError, v);
  }
});

test('a lease asked for again by the identity holding it (reauthentication) is held twice and goes offline with the last release', () => {
  const p = AddressPool.parse('10.99.100.0/29');
  assert.equal(p.acquire('carol'), '10.99.100.1');
  assert.equal(p.acquire('carol', '10.99.100.1'), '10.99.100.1');
  assert.equal(p.acquire('dave', '10.99.100.1'), '10.99.100.2', 'not handed to another identity');
  assert.equal(p.release('carol', '10.99.100.1'), true);
  assert.equal(p.online, 2, 'still online: the new IKE SA holds it');
  assert.equal(p.release('carol', '10.99.100.1'), true);
  assert.equal(p.online, 1);
  assert.equal(p.release('carol', '10.99.100.1'), false, 'nothing left to release');
});
