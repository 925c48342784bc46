import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { addAddress, addRoute, linkUp, runIp } from '../../src/io/netlink-ip.js';
import { openTun } from '../../src/io/tun-device.js';

/**
 * TUN read/write packets per second from Node through the koffi binding (measure, do not assert).
 *   node dist/bench/tunnel/tun-io.js        (root) makes a namespace, re-runs itself inside, deletes it
 * Read: fill the TUN's queue (txqueuelen 60000) with N 1400-byte UDP datagrams routed into it,
 * then time readBatch() draining it (64 per batch). Write: time N write() calls of one
 * 1400-byte IPv4/UDP packet to a local address (the kernel's receive path takes it).
 * Compare with ../shared/docs/dataplane-notes.md (read ~505 k pps, write 203-234 k pps).
 */

const N = 50_000;
const ROUNDS = 5;
const SIZE = 1400;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

function udpPacket(src: number[], dst: number[], len: number): Uint8Array {
  const p = new Uint8Array(len);
  const dv = new DataView(p.buffer);
  p[0] = 0x45;
  dv.setUint16(2, len);
  p[8] = 64;
  p[9] = 17;
  p.set(src, 12);
  p.set(dst, 16);
  let s = 0;
  for (let i = 0; i < 20; i += 2) s += dv.getUint16(i);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  dv.setUint16(10, ~s & 0xffff);
  dv.setUint16(20, 40000);
  dv.setUint16(22, 9);
  dv.setUint16(24, len - 20);
  return p; // UDP checksum 0: none (RFC 768)
}

async function inner(): Promise<void> {
  const tun = openTun({ name: 'tun0' });
  await runIp(['link', 'set', 'dev', 'tun0', 'txqueuelen', String(N + 10_000)]);
  await linkUp('tun0');
  await addAddress('tun0', '10.99.7.1/32');
  await addRoute('10.99.8.0/24', 'tun0');
  await new Promise((r) => setTimeout(r, 200));
  const bufs = Array.from({ length: 64 }, () => new Uint8Array(2048));
  const lens = new Int32Array(64);
  while (tun.readBatch(bufs, lens) > 0) {
    // drain router solicitations and the like
  }

  const sock = dgram.createSocket('udp4');
  const payload = randomBytes(SIZE - 28);
  const readPps: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    for (let i = 0; i < N; i++) sock.send(payload, 9, '10.99.8.1');
    await new Promise((res) => setTimeout(res, 300));
    const t0 = process.hrtime.bigint();
    let got = 0;
    for (;;) {
      const n = tun.readBatch(bufs, lens);
      if (n === 0) break;
      got += n;
    }
    const dt = Number(process.hrtime.bigint() - t0) / 1e9;
    readPps.push(got / dt);
    console.log(
      `read round ${r}: ${got} packets in ${(dt * 1e3).toFixed(1)} ms = ${(got / dt / 1e3).toFixed(0)} k pps`,
    );
  }
  sock.close();

  const pkt = udpPacket([10, 99, 8, 1], [10, 99, 7, 1], SIZE);
  const writePps: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const before = tun.counters.txPackets;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) tun.write(pkt);
    const dt = Number(process.hrtime.bigint() - t0) / 1e9;
    const ok = tun.counters.txPackets - before;
    writePps.push(ok / dt);
    console.log(
      `write round ${r}: ${ok} accepted in ${(dt * 1e3).toFixed(1)} ms = ${(ok / dt / 1e3).toFixed(0)} k pps`,
    );
  }
  console.log(
    JSON.stringify({
      packetBytes: SIZE,
      readKpps: Math.round(median(readPps) / 1e3),
      writeKpps: Math.round(median(writePps) / 1e3),
      counters: tun.counters,
    }),
  );
  tun.close();
}

if (process.argv[2] === '--inner') {
  await inner();
} else {
  const ns = `esb-${process.pid}-tunio`;
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    spawnSync('ip', ['netns', 'exec', ns, process.execPath, fileURLToPath(import.meta.url), '--inner'], {
      stdio: 'inherit',
    });
  } finally {
    execFileSync('ip', ['netns', 'del', ns]);
  }
}
