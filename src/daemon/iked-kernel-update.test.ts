/**
 * iked-kernel's update() over a real PF_KEY server and key engine (Unix sockets in a temp
 * dir, no root): when MOBIKE moves a CHILD SA to new addresses the SAs are re-created, and
 * the new outbound SA goes on after the sequence numbers already used (X_SA2 sequence on
 * ADD), also after a second move; the inbound SA and the policies follow the addresses.
 * Expected values are counted by hand: 500 packets, then 200 more.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parseTsList } from '../config/traffic-selector.js';
import type { ChildSaPlan } from '../ikev2/ikev2-actions.js';
import { KeyEngine } from '../pfkey/key-engine.js';
import { parseIp } from '../util/ip-addr.js';
import { nullLogger } from '../util/logger.js';
import { SeededRng } from '../util/rng.js';
import { connectIkedKernel, type IkedKernel } from './iked-kernel.js';
import { type PfkeyServer, startPfkeyServer } from './pfkey-server.js';
import { systemClock } from './system-clock.js';

let dir: string;
let server: PfkeyServer;
let engine: KeyEngine;
let kernel: IkedKernel;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'esprit-iked-kernel-'));
  const path = join(dir, 'pfkey.sock');
  engine = new KeyEngine({ clock: systemClock, rng: new SeededRng(3n) });
  server = await startPfkeyServer({ engine, clock: systemClock, sockets: [{ path, dialect: 'linux' }] });
  kernel = await connectIkedKernel(path, nullLogger);
});

after(async () => {
  kernel.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const ip = (s: string): Uint8Array => parseIp(s).bytes;
const key = (b: number): Uint8Array => new Uint8Array(20).fill(b);

function plan(spiIn: number, us: string, peer: string): ChildSaPlan {
  return {
    ikeId: 1,
    conn: 'home',
    child: 'net',
    reqid: 0x2001,
    mode: 'tunnel',
    encr: { id: 20, keyBits: 128 },
    esn: false,
    replayWindow: 32,
    inbound: { spi: spiIn, src: ip(peer), dst: ip(us), encrKey: key(1) },
    outbound: { spi: 0xc2000001, src: ip(us), dst: ip(peer), encrKey: key(2) },
    keepalive: false,
    float: false,
    localTs: parseTsList(['10.99.100.1/32'], []),
    remoteTs: parseTsList(['10.99.3.0/24'], []),
    lifetime: { softSeconds: 0, hardSeconds: 0, softBytes: 0, hardBytes: 0, softPackets: 0, hardPackets: 0 },
  };
}

const outbound = () => engine.sad.dump().find((e) => e.spi === 0xc2000001);

test('a move re-creates the outbound SA after the last sequence number used, twice', async () => {
  const spiIn = await kernel.getSpi(ip('10.99.2.2'), ip('10.99.1.2'), 0x2001);
  const p = plan(spiIn, '10.99.1.2', '10.99.2.2');
  await kernel.install(p);
  const first = outbound();
  assert.ok(first);
  assert.equal(first.cfg?.seq, 1n);
  engine.onSaUsed(first, 50_000, 500); // 500 packets went out (seq 1..500)

  await kernel.update({
    ...p,
    inbound: { ...p.inbound, dst: ip('10.99.7.2') },
    outbound: { ...p.outbound, src: ip('10.99.7.2') },
  });
  const second = outbound();
  assert.ok(second && second !== first);
  assert.equal(second.src.text, '10.99.7.2');
  assert.equal(second.cfg?.seq, 501n, 'goes on with 501');
  assert.equal(engine.sad.dump().find((e) => e.spi === spiIn)?.dst.text, '10.99.7.2', 'the inbound SA moved too');
  engine.onSaUsed(second, 20_000, 200); // 501..700

  await kernel.update({
    ...p,
    inbound: { ...p.inbound, dst: ip('10.99.8.2') },
    outbound: { ...p.outbound, src: ip('10.99.8.2') },
  });
  assert.equal(outbound()?.cfg?.seq, 701n, 'the second move counts the first one too');
});
