/**
 * The PF_KEY server over real Unix sockets in a temp dir (no root): several clients at once,
 * broadcasts and EXPIRE to a REGISTERed client, a 5000-SA DUMP, garbage and a disconnect in
 * mid-message, and fuzzed messages that must neither crash the server nor change the SAD/SPD.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { parseSetkey } from '../config/setkey/parser.js';
import { addMessage, bareMessage } from '../config/setkey/to-pfkey.js';
import type { AddCommand } from '../config/setkey/types.js';
import { KeyEngine } from '../pfkey/key-engine.js';
import { SeededRng } from '../util/rng.js';
import { encodePfkeyMessage, type PfkeyMessage, SADB_MSG, SADB_SATYPE } from '../wire/pfkey/index.js';
import { type PfkeyServer, startPfkeyServer } from './pfkey-server.js';
import { PfkeyStreamClient } from './pfkey-stream-client.js';
import { systemClock } from './system-clock.js';

let dir: string;
let server: PfkeyServer;
let engine: KeyEngine;
let linuxPath: string;
let kamePath: string;
let seq = 1;
const ids = (pid: number) => ({ seq: seq++, pid });

function addCmd(spi: number, extra = ''): AddCommand {
  const [c] = parseSetkey(
    `add 10.1.0.1 10.2.0.1 esp ${spi} -m tunnel ${extra} -E aes-gcm-16 0x000102030405060708090a0b0c0d0e0f10111213 ;`,
  );
  assert.ok(c && c.op === 'add');
  return c;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'esprit-pfkey-'));
  linuxPath = join(dir, 'pfkey.sock');
  kamePath = join(dir, 'pfkey-kame.sock');
  engine = new KeyEngine({ clock: systemClock, rng: new SeededRng(7n) });
  server = await startPfkeyServer({
    engine,
    clock: systemClock,
    sockets: [
      { path: linuxPath, dialect: 'linux' },
      { path: kamePath, dialect: 'kame' },
    ],
    maxQueuedBytes: 64 * 1024,
  });
});

after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

async function dumpBytes(c: PfkeyStreamClient, pid: number): Promise<string[]> {
  const replies = await c.dump(bareMessage('DUMP', SADB_SATYPE.UNSPEC, ids(pid)));
  // seq counts down and pid is the requester's: compare the rest
  return replies.map((m) =>
    JSON.stringify({ ...m, header: { ...m.header, seq: 0, pid: 0 } }, (_k, v) =>
      typeof v === 'bigint' ? `${v}` : v instanceof Uint8Array ? [...v] : v,
    ),
  );
}

test('REGISTERed client gets the ADD broadcast (other dialect) and the soft EXPIRE; DUMP of 5000 SAs; garbage closes only its sender', async () => {
  const watcher = await PfkeyStreamClient.connect(linuxPath, 'linux');
  const events: PfkeyMessage[] = [];
  watcher.onUnsolicited((m) => events.push(m));
  const reg = await watcher.request(bareMessage('REGISTER', SADB_SATYPE.ESP, ids(1001)));
  assert.equal(reg.header.errno, 0);
  assert.ok(reg.extensions.some((e) => e.ext === 'SUPPORTED_ENCRYPT'));

  // garbage: a sadb_msg_len of 1 word (below one sadb_msg) -> that connection is closed
  const garbage = net.connect(kamePath);
  await new Promise<void>((resolve) => garbage.once('connect', () => resolve()));
  const closed = new Promise<void>((resolve) => garbage.once('close', () => resolve()));
  garbage.write(Uint8Array.from([2, 3, 0, 3, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0]));
  // half a message, then gone
  const half = net.connect(linuxPath);
  await new Promise<void>((resolve) => half.once('connect', () => resolve()));
  half.write(encodePfkeyMessage(addMessage(addCmd(0x7777), 'linux', ids(1003)), 'linux').subarray(0, 40));

  // the adder (kame socket) pipelines 5000 ADDs, then dumps them
  const adder = await PfkeyStreamClient.connect(kamePath, 'kame');
  const n = 5000;
  const replies: Promise<PfkeyMessage>[] = [];
  for (let i = 0; i < n; i++) replies.push(adder.request(addMessage(addCmd(0x10000 + i), 'kame', ids(2002))));
  const got = await Promise.all(replies);
  assert.ok(got.every((m) => m.header.errno === 0));
  await closed;
  half.destroy();

  const dump = await adder.dump(bareMessage('DUMP', SADB_SATYPE.ESP, ids(2002)));
  assert.equal(dump.length, n);
  assert.equal(dump[dump.length - 1]?.header.seq, 0);
  assert.deepEqual(new Set(dump.map((m) => (m.extensions[0] as { spi: number }).spi)).size, n);

  // soft lifetime 1 s -> EXPIRE to the registered watcher, from the server's one timer
  const exp = adder.request(addMessage(addCmd(0x9999, '-ls 1 -lh 100'), 'kame', ids(2002)));
  assert.equal((await exp).header.errno, 0);
  const expire = await new Promise<PfkeyMessage>((resolve) => {
    const poll = setInterval(() => {
      const e = events.find((m) => m.header.type === SADB_MSG.EXPIRE);
      if (e) {
        clearInterval(poll);
        resolve(e);
      }
    }, 20);
  });
  assert.ok(expire.extensions.some((e) => e.ext === 'LIFETIME_SOFT'));

  // every ADD was broadcast to the watcher (Linux af_key: ADD goes to all sockets), in its dialect;
  // the 5000 pipelined ADDs outrun its 64 KiB queue: what it did not get is counted as dropped
  const adds = events.filter((m) => m.header.type === SADB_MSG.ADD);
  const watcherDrops = server.connections.find((x) => x.pid === 1001)?.drops ?? -1;
  assert.ok(adds.length > 0);
  assert.equal(adds.length + watcherDrops, n + 1);
  // the adder's own replies are never dropped (paced through its backlog)
  assert.equal(server.connections.find((x) => x.pid === 2002)?.drops, 0);
  assert.ok(adds.every((m) => m.header.pid === 2002));
  const c = server.counters;
  assert.equal(c.framingErrors, 1);
  assert.ok(server.sockets.every((s) => s.connections >= 1));
  await watcher.close();
  await adder.close();
});

test('a client that never reads gets drops counted; others keep being served', async () => {
  const pid = 3003;
  const lazy = net.connect(linuxPath);
  await new Promise<void>((resolve) => lazy.once('connect', () => resolve()));
  lazy.pause();
  // REGISTER so that it receives every ADD broadcast, then stop reading
  lazy.write(encodePfkeyMessage(bareMessage('REGISTER', SADB_SATYPE.ESP, ids(pid)), 'linux'));
  const busy = await PfkeyStreamClient.connect(linuxPath, 'linux');
  const before = server.counters.drops;
  const replies: Promise<PfkeyMessage>[] = [];
  for (let i = 0; i < 3000; i++) replies.push(busy.request(addMessage(addCmd(0x200000 + i), 'linux', ids(4004))));
  assert.ok((await Promise.all(replies)).every((m) => m.header.errno === 0));
  assert.ok(server.counters.drops > before, 'broadcasts to the non-reader were dropped');
  const lazyStatus = server.connections.find((c) => c.pid === pid);
  assert.ok(lazyStatus && lazyStatus.drops > 0);
  assert.equal(server.connections.find((c) => c.pid === 4004)?.drops, 0);
  lazy.destroy();
  const flush = await busy.request(bareMessage('FLUSH', SADB_SATYPE.UNSPEC, ids(4004)));
  assert.equal(flush.header.errno, 0);
  await busy.close();
});

test('fuzzed messages never crash the server or change the SAD/SPD', async () => {
  const c = await PfkeyStreamClient.connect(linuxPath, 'linux');
  for (let i = 0; i < 20; i++)
    assert.equal((await c.request(addMessage(addCmd(0x300000 + i), 'linux', ids(5005)))).header.errno, 0);
  const before = await dumpBytes(c, 5005);
  const spdBefore = engine.spd.dump().length;
  // whole messages (valid framing) with random bodies; types limited to requests that only read
  // (GET, REGISTER, DUMP, X_SPDGET, X_SPDDUMP, X_PROMISC, reserved/unknown): any other outcome is a bug
  const readOnly = [0, SADB_MSG.GET, SADB_MSG.REGISTER, SADB_MSG.DUMP, SADB_MSG.X_SPDGET, SADB_MSG.X_SPDDUMP, 40, 255];
  const arbMsg = fc
    .tuple(
      fc.constantFrom(...readOnly),
      fc.constantFrom(2, 1, 3),
      fc.integer({ min: 0, max: 40 }),
      fc.uint8Array({ maxLength: 200 }),
    )
    .map(([type, version, words, body]) => {
      const total = 16 + 8 * Math.min(words, Math.ceil(body.length / 8));
      const b = new Uint8Array(total);
      b.set(body.subarray(0, total - 16), 16);
      b[0] = version;
      b[1] = type;
      b[3] = body[0] ?? 3;
      b[4] = (total / 8) & 0xff;
      b[5] = (total / 8) >> 8;
      b[12] = 0x99;
      return b;
    });
  const fuzz = await PfkeyStreamClient.connect(kamePath, 'kame');
  let sentinel = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(arbMsg, { minLength: 1, maxLength: 8 }), async (msgs) => {
      for (const m of msgs) fuzz.sendRaw(m);
      // replies come in order: once the sentinel's reply is back, every fuzz message was handled
      const r = await fuzz.request(bareMessage('X_SPDDUMP', 0, { seq: 0x7f000000 + ++sentinel, pid: 0x99 }));
      assert.equal(r.header.type, SADB_MSG.X_SPDDUMP);
    }),
    { numRuns: 150 },
  );
  assert.deepEqual(await dumpBytes(c, 5005), before);
  assert.equal(engine.spd.dump().length, spdBefore);
  assert.equal(server.counters.engineErrors, 0);
  await fuzz.close();
  await c.close();
});
