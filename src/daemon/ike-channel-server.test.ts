/**
 * The IKE channel server over a real Unix socket with a socket client: frames from the client
 * reach `send` with their endpoints (split across writes), received IKE goes to every
 * connected client, a malformed header closes only that connection, the socket is 0600.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fromHex, toHex } from '../util/hex.js';
import { startIkeChannelServer } from './ike-channel-server.js';

// docs/ike-channel.md example: 192.0.2.1:4500 <-> 198.51.100.7:35484, 4-byte payload
const FRAME = fromHex(
  '01000400' +
    '00000004' +
    '11948a9c' +
    'c0000201000000000000000000000000' +
    'c6336407000000000000000000000000' +
    'deadbeef',
);

function connect(path: string): Promise<{ s: net.Socket; data: () => Buffer }> {
  return new Promise((resolve, reject) => {
    const s = net.connect(path);
    let buf = Buffer.alloc(0);
    s.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
    });
    s.once('connect', () => resolve({ s, data: () => buf }));
    s.once('error', reject);
  });
}

async function until(f: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !f(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(f(), 'condition not reached');
}

test('IKE channel server: both directions with a socket client', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'esprit-ike-'));
  const path = join(dir, 'ike.sock');
  const sent: string[] = [];
  const server = await startIkeChannelServer({
    path,
    send: (l, r, ike) => sent.push(`${l.address}:${l.port} ${r.address}:${r.port} ${toHex(ike)}`),
  });
  try {
    if (process.platform !== 'win32') assert.equal(statSync(path).mode & 0o777, 0o600);
    const a = await connect(path);
    const b = await connect(path);
    await until(() => server.connections === 2);
    // client -> daemon, split in two writes
    a.s.write(FRAME.subarray(0, 10));
    await new Promise((r) => setTimeout(r, 20));
    a.s.write(FRAME.subarray(10));
    await until(() => sent.length === 1);
    assert.deepEqual(sent, ['192.0.2.1:4500 198.51.100.7:35484 deadbeef']);
    // daemon -> every client
    server.toClients(
      { address: '192.0.2.1', port: 4500 },
      { address: '198.51.100.7', port: 35484 },
      fromHex('deadbeef'),
    );
    await until(() => a.data().length === FRAME.length && b.data().length === FRAME.length);
    assert.equal(toHex(a.data()), toHex(FRAME));
    assert.equal(toHex(b.data()), toHex(FRAME));
    // a bad version closes that connection only
    const bad = FRAME.slice();
    bad[0] = 9;
    const closed = new Promise((r) => b.s.once('close', r));
    b.s.write(bad);
    await closed;
    assert.equal(server.counters.framingErrors, 1);
    await until(() => server.connections === 1);
    a.s.destroy();
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
