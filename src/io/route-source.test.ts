import assert from 'node:assert/strict';
import { test } from 'node:test';
import { routeSource, routesFrom } from './route-source.js';

// The kernel answers these (nothing is sent): loopback is on every host, 192.0.2.1
// (RFC 5737 TEST-NET-1) is on none.
test('routesFrom: an address of this host that reaches the destination', async () => {
  assert.equal(await routesFrom('127.0.0.1', '127.0.0.2'), true);
});

test('routesFrom: an address this host does not have cannot be bound (EADDRNOTAVAIL)', async () => {
  assert.equal(await routesFrom('192.0.2.1', '127.0.0.1'), false);
});

test('routeSource: the kernel picks the loopback source towards a loopback address', async () => {
  assert.equal(await routeSource('127.0.0.1'), '127.0.0.1');
});
