import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { AddressInUseError } from './errors.js';
import { listenUnixStream, type UnixConnection } from './unix-stream-server.js';

function tmpPath(): { dir: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'esprit-uss-'));
  return { dir, path: join(dir, 'pfkey.sock') };
}

function connect(path: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(path, () => resolve(s));
    s.once('error', reject);
  });
}

function readN(s: net.Socket, n: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    let got = 0;
    const on = (b: Buffer): void => {
      parts.push(b);
      got += b.length;
      if (got >= n) {
        s.off('data', on);
        resolve(Buffer.concat(parts));
      }
    };
    s.on('data', on);
  });
}

test('socket mode 0600, echo through onData/write, file removed on close', async () => {
  const { dir, path } = tmpPath();
  const server = await listenUnixStream({
    path,
    onConnection: (c) => c.onData((chunk) => c.write(chunk)),
  });
  try {
    const st = statSync(path);
    assert.ok(st.isSocket());
    assert.equal(st.mode & 0o777, 0o600);
    const s = await connect(path);
    s.write(Buffer.from('hello'));
    assert.equal((await readN(s, 5)).toString(), 'hello');
    assert.equal(server.connections, 1);
    s.destroy();
  } finally {
    await server.close();
  }
  assert.throws(() => statSync(path), { code: 'ENOENT' });
  rmSync(dir, { recursive: true });
});

test('stale socket file is replaced; a live server or a regular file is refused', async () => {
  const { dir, path } = tmpPath();
  // A stale socket: a server process killed with SIGKILL leaves its socket file behind.
  const child = spawn(process.execPath, [
    '-e',
    `require('net').createServer().listen(${JSON.stringify(path)}, () => console.log('up'))`,
  ]);
  await once(child.stdout, 'data');
  child.kill('SIGKILL');
  await once(child, 'exit');
  assert.ok(statSync(path).isSocket());
  const server = await listenUnixStream({ path, onConnection: () => {} });
  await assert.rejects(listenUnixStream({ path, onConnection: () => {} }), AddressInUseError);
  await server.close();
  writeFileSync(path, 'not a socket');
  await assert.rejects(listenUnixStream({ path, onConnection: () => {} }), AddressInUseError);
  rmSync(dir, { recursive: true });
});

test('a client that never reads gets drops; another client is still served', async () => {
  const { dir, path } = tmpPath();
  const conns: UnixConnection[] = [];
  const server = await listenUnixStream({
    path,
    maxQueuedBytes: 64 * 1024,
    onConnection: (c) => {
      conns.push(c);
      c.onData((chunk) => c.write(chunk));
    },
  });
  try {
    const slow = await connect(path);
    slow.pause();
    const fast = await connect(path);
    while (conns.length < 2) await new Promise((r) => setImmediate(r));
    const [slowConn] = conns;
    assert.ok(slowConn);
    const chunk = new Uint8Array(16 * 1024);
    let accepted = 0;
    for (let i = 0; i < 2000; i++) if (slowConn.write(chunk)) accepted++;
    assert.ok(accepted < 2000, 'the queue is bounded');
    assert.ok(slowConn.drops > 0);
    assert.equal(server.drops, slowConn.drops);
    assert.ok(slowConn.queuedBytes <= 64 * 1024);
    fast.write(Buffer.from('ping'));
    assert.equal((await readN(fast, 4)).toString(), 'ping');
    slow.destroy();
    fast.destroy();
  } finally {
    await server.close();
    rmSync(dir, { recursive: true });
  }
});
