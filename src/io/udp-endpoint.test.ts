import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openUdpEndpoint } from './udp-endpoint.js';

// Binds on loopback but sends nothing that reaches the network: every send here is
// refused by Node before a datagram exists.

test('v4 and ipv6Only v6 endpoints share one port; bad sends are counted, not thrown', async () => {
  const v4 = await openUdpEndpoint({ address: '127.0.0.1', port: 0, onMessage: () => {}, recvBufferSize: 1 << 16 });
  const v6 = await openUdpEndpoint({ address: '::1', port: v4.local.port, onMessage: () => {} });
  try {
    assert.equal(v6.local.port, v4.local.port);
    assert.equal(v4.local.family, 'IPv4');
    assert.equal(v6.local.family, 'IPv6');
    assert.ok(v4.recvBufferSize >= 1 << 16, `SO_RCVBUF ${v4.recvBufferSize}`);
    assert.equal(v4.send(new Uint8Array(4), 0, '127.0.0.1'), false, 'port 0 is refused synchronously');
    assert.equal(v4.counters.txErrors, 1);
    assert.match(v4.counters.lastTxError, /port/i);
    assert.equal(v4.counters.txQueued, 0);
  } finally {
    await v4.close();
    await v6.close();
  }
  assert.equal(v4.send(new Uint8Array(4), 9, '127.0.0.1'), false, 'closed');
  assert.equal(v4.counters.txErrors, 2);
});

test('binding a port in use rejects; a non-address rejects with TypeError', async () => {
  const a = await openUdpEndpoint({ address: '127.0.0.1', port: 0, onMessage: () => {} });
  try {
    await assert.rejects(openUdpEndpoint({ address: '127.0.0.1', port: a.local.port, onMessage: () => {} }), {
      code: 'EADDRINUSE',
    });
    await assert.rejects(openUdpEndpoint({ address: 'gw.example', port: 1, onMessage: () => {} }), TypeError);
  } finally {
    await a.close();
  }
});
