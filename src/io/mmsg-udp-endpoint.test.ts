import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { test } from 'node:test';
import { SyscallError } from './errors.js';
import { EADDRINUSE } from './libc.js';
import { MmsgBatch } from './mmsg-batch.js';
import { openMmsgUdpEndpoint, startUdpReader } from './mmsg-udp-endpoint.js';

// Loopback only (127.0.0.1, ::1): nothing here reaches a network. node:dgram serves as the
// independent peer: it sees what our sendmmsg/sendto put on the wire and sends what our
// recvmmsg must read.

function datagram(n: number, fill: number): Uint8Array {
  return new Uint8Array(n).fill(fill);
}

test('queue + flush: three datagrams leave in one sendmmsg; node:dgram receives them in order from our port', async () => {
  const peer = dgram.createSocket('udp4');
  peer.bind(0, '127.0.0.1');
  await once(peer, 'listening');
  const ep = openMmsgUdpEndpoint({ address: '127.0.0.1', port: 0, recvBufferSize: 1 << 20, sendBufferSize: 1 << 20 });
  const got: { msg: Buffer; port: number; address: string }[] = [];
  const all = new Promise<void>((resolve) => {
    peer.on('message', (msg, r) => {
      got.push({ msg, port: r.port, address: r.address });
      if (got.length === 4) resolve();
    });
  });
  try {
    assert.ok(ep.local.port > 0);
    assert.ok(ep.recvBufferSize >= 1 << 20, `SO_RCVBUF ${ep.recvBufferSize}`);
    const to = peer.address().port;
    for (let i = 0; i < 3; i++) assert.equal(ep.queue(datagram(100 + i, i + 1), to, '127.0.0.1'), true);
    assert.equal(ep.pending, 3);
    assert.equal(ep.counters.txQueued, 3);
    assert.equal(ep.flush(), 3);
    assert.equal(ep.counters.txBatches, 1);
    assert.equal(ep.pending, 0);
    // a datagram longer than a send slot (2048) goes alone with sendto, no copy
    assert.equal(ep.queue(datagram(3000, 9), to, '127.0.0.1'), true);
    await all;
    assert.deepEqual(
      got.map((g) => [g.msg.length, g.msg[0], g.port, g.address]),
      [
        [100, 1, ep.local.port, '127.0.0.1'],
        [101, 2, ep.local.port, '127.0.0.1'],
        [102, 3, ep.local.port, '127.0.0.1'],
        [3000, 9, ep.local.port, '127.0.0.1'],
      ],
    );
    assert.equal(ep.counters.txPackets, 4);
    assert.equal(ep.counters.txBytes, 100 + 101 + 102 + 3000);
  } finally {
    await ep.close();
    peer.close();
  }
});

test('receive: one recvmmsg returns every datagram node:dgram sent, with its source; MSG_TRUNC is counted and dropped', async () => {
  const peer = dgram.createSocket('udp4');
  peer.bind(0, '127.0.0.1');
  await once(peer, 'listening');
  const ep = openMmsgUdpEndpoint({ address: '127.0.0.1', port: 0 });
  const rx = new MmsgBatch(8, 512);
  try {
    const sends = [datagram(10, 1), datagram(600, 2), datagram(30, 3)];
    for (const d of sends) {
      await new Promise<void>((resolve, reject) =>
        peer.send(d, ep.local.port, '127.0.0.1', (e) => (e ? reject(e) : resolve())),
      );
    }
    await ep.waitReadable();
    const seen: [number, number, string, number][] = [];
    const n = ep.receive(rx, (p, address, port) => seen.push([p.length, p[0] ?? -1, address, port]));
    assert.equal(n, 3);
    const from = peer.address().port;
    // the 600-byte datagram does not fit a 512-byte slot: cut by the kernel, dropped and counted
    assert.deepEqual(seen, [
      [10, 1, '127.0.0.1', from],
      [30, 3, '127.0.0.1', from],
    ]);
    assert.equal(ep.counters.rxTruncated, 1);
    assert.equal(ep.counters.rxPackets, 2);
    assert.equal(ep.counters.rxBatches, 1);
    assert.equal(
      ep.receive(rx, () => assert.fail('nothing more')),
      0,
      'EAGAIN when empty',
    );
  } finally {
    rx.free();
    await ep.close();
    peer.close();
  }
});

test('startUdpReader: datagrams arrive through the FdPoller; onBatchEnd runs after each batch; the loop ends on close', async () => {
  const a = openMmsgUdpEndpoint({ address: '127.0.0.1', port: 0 });
  const b = openMmsgUdpEndpoint({ address: '127.0.0.1', port: 0 });
  const got: string[] = [];
  let batches = 0;
  let resolveAll: () => void = () => {};
  const all = new Promise<void>((r) => {
    resolveAll = r;
  });
  const loop = startUdpReader(
    b,
    (p, address, port) => {
      got.push(`${p.length}@${address}:${port}`);
      if (got.length === 5) resolveAll();
    },
    { batch: 4, onBatchEnd: () => batches++ },
  );
  try {
    // first send after the reader waits (readiness path), then a burst larger than one batch
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(a.send(datagram(1, 0), b.local.port, '127.0.0.1'), true);
    for (let i = 2; i <= 5; i++) a.queue(datagram(i, 0), b.local.port, '127.0.0.1');
    a.flush();
    await all;
    const src = `127.0.0.1:${a.local.port}`;
    assert.deepEqual(got, [`1@${src}`, `2@${src}`, `3@${src}`, `4@${src}`, `5@${src}`]);
    assert.ok(batches >= 2, `onBatchEnd ran ${batches} times`);
  } finally {
    await b.close();
    await a.close();
  }
  await loop.done;
});

test('IPv6: ::1 endpoint with IPV6_V6ONLY shares the port number of a 127.0.0.1 one; v6 text is RFC 5952', async () => {
  const v4 = openMmsgUdpEndpoint({ address: '127.0.0.1', port: 0 });
  const v6 = openMmsgUdpEndpoint({ address: '::1', port: v4.local.port });
  const peer = dgram.createSocket({ type: 'udp6', ipv6Only: true });
  peer.bind(0, '::1');
  await once(peer, 'listening');
  const rx = new MmsgBatch(2, 256);
  try {
    assert.equal(v6.local.port, v4.local.port);
    assert.equal(v6.local.family, 'IPv6');
    const got = once(peer, 'message');
    assert.equal(v6.send(datagram(7, 7), peer.address().port, '::1'), true);
    const [msg, rinfo] = (await got) as [Buffer, dgram.RemoteInfo];
    assert.equal(msg.length, 7);
    assert.equal(rinfo.port, v6.local.port);
    peer.send(datagram(5, 5), v6.local.port, '::1');
    await v6.waitReadable();
    let from = '';
    assert.equal(
      v6.receive(rx, (_p, address) => {
        from = address;
      }),
      1,
    );
    assert.equal(from, '::1');
    // an IPv4 destination on an IPv6 endpoint is refused and counted
    assert.equal(v6.send(datagram(1, 0), 9, '127.0.0.1'), false);
    assert.equal(v6.counters.txErrors, 1);
  } finally {
    rx.free();
    peer.close();
    await v6.close();
    await v4.close();
  }
});

test('bind errors throw SyscallError with errno; SO_REUSEPORT lets two sockets share a port; bad sends are counted', async () => {
  const a = openMmsgUdpEndpoint({ address: '127.0.0.1', port: 0 });
  try {
    assert.throws(
      () => openMmsgUdpEndpoint({ address: '127.0.0.1', port: a.local.port }),
      (e: unknown) => e instanceof SyscallError && e.errno === EADDRINUSE,
    );
    assert.throws(() => openMmsgUdpEndpoint({ address: 'gw.example', port: 1 }), TypeError);
    const r1 = openMmsgUdpEndpoint({ address: '127.0.0.1', port: 0, reusePort: true });
    const r2 = openMmsgUdpEndpoint({ address: '127.0.0.1', port: r1.local.port, reusePort: true });
    assert.equal(r2.local.port, r1.local.port);
    await r1.close();
    await r2.close();
    assert.equal(a.send(datagram(4, 0), 0, '127.0.0.1'), false, 'port 0');
    assert.equal(a.queue(datagram(4, 0), 9, 'not-an-ip'), false);
    assert.equal(a.counters.txErrors, 2);
    assert.equal(a.counters.txPackets, 0);
  } finally {
    await a.close();
  }
  assert.equal(a.send(datagram(4, 0), 9, '127.0.0.1'), false, 'closed');
  assert.equal(a.counters.txErrors, 3);
});

test('UDP GSO: a run of equal-size datagrams to one peer leaves as one UDP_SEGMENT message; the peer sees each datagram', async () => {
  const peers = [dgram.createSocket('udp4'), dgram.createSocket('udp4')];
  for (const p of peers) {
    p.bind(0, '127.0.0.1');
    await once(p, 'listening');
  }
  const ep = openMmsgUdpEndpoint({ address: '127.0.0.1', port: 0 });
  const got: string[][] = [[], []];
  const done = new Promise<void>((resolve) => {
    for (const [i, p] of peers.entries()) {
      p.on('message', (msg) => {
        got[i]?.push(`${msg.length}:${msg[0]}`);
        if ((got[0]?.length ?? 0) + (got[1]?.length ?? 0) === 9) resolve();
      });
    }
  });
  try {
    const [a, b] = peers.map((p) => p.address().port) as [number, number];
    // run 1: five of 200 bytes + a shorter last one (50) to peer A; run 2: two to peer B;
    // then one to A again (a new message: the destination changed)
    for (let i = 1; i <= 5; i++) ep.queue(datagram(200, i), a, '127.0.0.1');
    ep.queue(datagram(50, 6), a, '127.0.0.1');
    ep.queue(datagram(300, 7), b, '127.0.0.1');
    ep.queue(datagram(300, 8), b, '127.0.0.1');
    ep.queue(datagram(10, 9), a, '127.0.0.1');
    assert.equal(ep.flush(), 9);
    assert.equal(ep.counters.gsoDisabled, 0, ep.counters.lastTxError);
    assert.equal(ep.counters.txGsoRuns, 2);
    assert.equal(ep.counters.txBatches, 1);
    await done;
    assert.deepEqual(got[0], ['200:1', '200:2', '200:3', '200:4', '200:5', '50:6', '10:9']);
    assert.deepEqual(got[1], ['300:7', '300:8']);
    assert.equal(ep.counters.txPackets, 9);
  } finally {
    await ep.close();
    for (const p of peers) p.close();
  }
});

test('gso: false sends the same run datagram by datagram', async () => {
  const peer = dgram.createSocket('udp4');
  peer.bind(0, '127.0.0.1');
  await once(peer, 'listening');
  const ep = openMmsgUdpEndpoint({ address: '127.0.0.1', port: 0, gso: false });
  const got: number[] = [];
  const done = new Promise<void>((resolve) =>
    peer.on('message', (msg) => {
      got.push(msg.length);
      if (got.length === 3) resolve();
    }),
  );
  try {
    for (let i = 0; i < 3; i++) ep.queue(datagram(100, i), peer.address().port, '127.0.0.1');
    assert.equal(ep.flush(), 3);
    assert.equal(ep.counters.txGsoRuns, 0);
    await done;
    assert.deepEqual(got, [100, 100, 100]);
  } finally {
    await ep.close();
    peer.close();
  }
});

test('UDP GRO: a GSO run arrives as one buffer and is cut back into its datagrams, in order; node:dgram datagrams pass as they are', async () => {
  // sender: our endpoint with GSO (one UDP_SEGMENT message); loopback keeps the GSO skb
  // whole up to a socket with UDP_GRO (udp(7)), which reads it with the segment size
  const tx = openMmsgUdpEndpoint({ address: '127.0.0.1', port: 0 });
  const rx = openMmsgUdpEndpoint({ address: '127.0.0.1', port: 0, gro: true });
  const peer = dgram.createSocket('udp4');
  peer.bind(0, '127.0.0.1');
  await once(peer, 'listening');
  const batch = new MmsgBatch(8, 65535, 64);
  try {
    assert.equal(rx.gro, true, 'the kernel took UDP_GRO');
    // a batch without control space would see the run as one datagram: refused
    const bare = new MmsgBatch(1, 65535);
    assert.throws(() => rx.receive(bare, () => {}), RangeError);
    bare.free();
    for (let i = 0; i < 5; i++) tx.queue(datagram(100, i + 1), rx.local.port, '127.0.0.1');
    tx.queue(datagram(40, 6), rx.local.port, '127.0.0.1');
    assert.equal(tx.flush(), 6);
    assert.equal(tx.counters.txGsoRuns, 1);
    await rx.waitReadable();
    const seen: [number, number, number][] = [];
    let got = 0;
    for (let tries = 0; got < 6 && tries < 100; tries++) {
      const n = rx.receive(batch, (p, _a, port) => seen.push([p.length, p[0] ?? -1, port]));
      got = seen.length;
      if (n === 0 && got < 6) await rx.waitReadable();
    }
    const from = tx.local.port;
    assert.deepEqual(seen, [
      [100, 1, from],
      [100, 2, from],
      [100, 3, from],
      [100, 4, from],
      [100, 5, from],
      [40, 6, from],
    ]);
    assert.equal(rx.counters.rxGroRuns, 1, 'one receive carried the run');
    assert.equal(rx.counters.rxPackets, 6);
    assert.equal(rx.counters.rxBytes, 540);
    // plain datagrams (no GSO) carry no UDP_GRO message and are handed over one by one
    for (const d of [datagram(7, 7), datagram(9, 8)]) {
      await new Promise<void>((resolve, reject) =>
        peer.send(d, rx.local.port, '127.0.0.1', (e) => (e ? reject(e) : resolve())),
      );
    }
    await rx.waitReadable();
    const plain: number[] = [];
    while (plain.length < 2) {
      if (rx.receive(batch, (p) => plain.push(p.length)) === 0) await rx.waitReadable();
    }
    assert.deepEqual(plain, [7, 9]);
    assert.equal(rx.counters.rxGroRuns, 1);
  } finally {
    batch.free();
    await tx.close();
    await rx.close();
    peer.close();
  }
});
