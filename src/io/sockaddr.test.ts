import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromHex } from '../util/hex.js';
import { encodeSockaddr, sockaddrAddress, sockaddrPort } from './sockaddr.js';

// Expected layouts from linux/in.h (struct sockaddr_in) and linux/in6.h (struct sockaddr_in6);
// sa_family_t is host order (little-endian x86-64/arm64), the port network order.

test('sockaddr_in for 10.99.2.2:4500', () => {
  const out = new Uint8Array(28).fill(0xee);
  const n = encodeSockaddr(out, 4, new Uint8Array([10, 99, 2, 2]), 4500);
  assert.equal(n, 16);
  // 0200 = AF_INET (2) LE | 1194 = 4500 BE | 0a630202 = 10.99.2.2 | 8 zero bytes (sin_zero)
  assert.deepEqual(out.subarray(0, 16), fromHex('02001194' + '0a630202' + '0000000000000000'));
  assert.deepEqual(sockaddrAddress(out.subarray(0, 16)), new Uint8Array([10, 99, 2, 2]));
  assert.equal(sockaddrPort(out), 4500);
});

test('sockaddr_in6 for [fd99:2::2]:500', () => {
  const out = new Uint8Array(28);
  const addr = fromHex('fd990002000000000000000000000002');
  assert.equal(encodeSockaddr(out, 6, addr, 500), 28);
  // 0a00 = AF_INET6 (10) LE | 01f4 = 500 BE | 00000000 flowinfo | address | 00000000 scope_id
  assert.deepEqual(out, fromHex('0a0001f4' + '00000000' + 'fd990002000000000000000000000002' + '00000000'));
  assert.deepEqual(sockaddrAddress(out), addr);
});

test('address length must match the family', () => {
  const out = new Uint8Array(28);
  assert.equal(encodeSockaddr(out, 4, new Uint8Array(16), 1), 0);
  assert.equal(encodeSockaddr(out, 6, new Uint8Array(4), 1), 0);
  assert.equal(encodeSockaddr(new Uint8Array(8), 4, new Uint8Array(4), 1), 0);
  assert.equal(sockaddrAddress(new Uint8Array([1, 0, 0, 0])), undefined);
});
