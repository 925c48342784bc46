/**
 * System test: the ipsecd data plane with each UDP I/O (`--udp-io mmsg`, the FFI sockets with
 * sendmmsg/UDP GSO and recvmmsg + TUN GRO, and `--udp-io dgram`, node:dgram), moving a TCP
 * stream through the tunnel and the random NAT of the smoke-test lab:
 *
 *   client (ipsecd, 10.99.4.1) ── nat ── gw (ipsecd, 10.99.3.1)
 *   node TCP sender (8 MiB, deterministic bytes) ══ESP-in-UDP══> node TCP receiver (SHA-256)
 *
 * Oracle: SHA-256 (node:crypto in the two end processes, outside esprit) of the bytes sent
 * and of the bytes received must be equal; with mmsg, the gateway's status must show TCP
 * segments merged by the coalescer (so the GSO frames were accepted by the kernel and the
 * byte stream came out intact), and with dgram none.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { LAB, Lab, requireSystem } from './harness.js';
import { keyNatTunnel, pairReady, spawnIpsecdPair, statusJson } from './ipsecd-pair.js';

const skip = requireSystem(['ip', 'ping', 'nft', '/dev/net/tun']);
// RFC 4106 AES-GCM-16 keying material: 16-byte key + 4-byte salt (hand-written)
const K1 = '0x0f0e0d0c0b0a09080706050403020100a1a2a3a4';
const K2 = '0x1f1e1d1c1b1a19181716151413121110b1b2b3b4';
const BYTES = 8 << 20;

let lab: Lab | undefined;

before(async () => {
  if (skip) return;
  lab = await Lab.create({ natPorts: 'random' });
});

after(async () => {
  await lab?.destroy();
});

// the receiver prints the SHA-256 of everything it read; the sender, of everything it wrote
const RECEIVER = `
const h = require('node:crypto').createHash('sha256'); let n = 0;
const srv = require('node:net').createServer((s) => {
  s.on('data', (d) => { h.update(d); n += d.length; });
  s.on('end', () => { console.log(n + ' ' + h.digest('hex')); srv.close(); });
});
srv.listen(5555, '${LAB.gw.protected4}', () => console.log('listening'));`;
const SENDER = `
const h = require('node:crypto').createHash('sha256');
const chunk = Buffer.alloc(65536); let x = 12345, left = ${BYTES};
const s = require('node:net').connect({ host: '${LAB.gw.protected4}', port: 5555, localAddress: '${LAB.client.lan4}' });
function next() {
  while (left > 0) {
    for (let i = 0; i < chunk.length; i++) { x = (x * 1103515245 + 12345) >>> 0; chunk[i] = x >>> 24; }
    const part = chunk.subarray(0, Math.min(left, chunk.length)); left -= part.length; h.update(part);
    if (!s.write(Buffer.from(part))) return s.once('drain', next);
  }
  s.end(() => console.log(h.digest('hex')));
}
s.on('connect', next);`;

for (const udpIo of ['mmsg', 'dgram']) {
  test(`--udp-io ${udpIo}: an 8 MiB TCP stream crosses the tunnel intact`, { skip, timeout: 120_000 }, async () => {
    const l = lab as Lab;
    const { client, gw } = spawnIpsecdPair(l, ['--udp-io', udpIo]);
    try {
      await pairReady({ client, gw });
      await keyNatTunnel(l, { spiClientToGw: 0x20001, spiGwToClient: 0x20002, keyClientToGw: K1, keyGwToClient: K2 });
      const ping = await l.exec(
        'client',
        ['ping', '-c', '3', '-i', '0.2', '-W', '2', '-I', LAB.client.lan4, LAB.gw.protected4],
        {
          allowFail: true,
        },
      );
      assert.match(ping.stdout, /[1-3] received/, ping.stdout);
      const rx = l.spawn('gw', [process.execPath, '-e', RECEIVER]);
      await rx.waitForLine(/listening/);
      const tx = await l.exec('client', [process.execPath, '-e', SENDER], { timeoutMs: 90_000 });
      const got = await rx.waitForLine(/^\d+ [0-9a-f]{64}$/, 30_000);
      assert.equal(got, `${BYTES} ${tx.stdout.trim()}`);

      const tun = ((await statusJson(l, 'gw')) as { dataplane: { tun: { counters: Record<string, number> } } })
        .dataplane.tun;
      if (udpIo === 'mmsg') {
        assert.ok((tun.counters.groMerged ?? 0) > 0, `no segments merged: ${JSON.stringify(tun.counters)}`);
        assert.equal(tun.counters.groBadChecksum, 0);
      } else {
        assert.equal(tun.counters.groMerged ?? 0, 0, 'dgram: single datagrams, nothing to merge');
      }
    } finally {
      client.kill('SIGTERM');
      gw.kill('SIGTERM');
      await Promise.all([client.exited, gw.exited]);
    }
  });
}
