/**
 * PF_KEY interop with an independent client: test/interop/pfkey_client.py (Python 3 standard
 * library only, written from docs/pfkey.md alone, not from our TypeScript) talks to a real
 * `esprit ipsecd --no-dataplane` over its stream socket, once per dialect, and prints what it
 * decoded as JSON. The values below are chosen here; the expected answers come from
 * docs/pfkey.md and RFC 2367 (reply contents, errno numbers per dialect, DUMP seq counting down,
 * broadcast recipients), not from our encoder. `esprit setkey -D` / `-DP` then has to show what
 * the Python client installed (pfkey_dump.c format, docs/setkey.md).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { CLI, PYTHON, ROOT, requireTool } from '../util/tools.js';

type Dialect = 'linux' | 'kame';

const CLIENT_PID = 4242;
const WATCHER_PID = 4343;
const US = '10.0.0.1';
const PEER = '192.0.2.7'; // the peer's public (NAT) address
const PEER_OA = '172.16.0.5'; // the peer's original address (RFC 3947 NAT-OA)
const GCM_KEY = '000102030405060708090a0b0c0d0e0f10111213'; // AES-128 key + 4-byte salt = 160 bits
const CBC_KEY = '00112233445566778899aabbccddeeff';
const SHA256_KEY = '0f0e0d0c0b0a09080706050403020100f0e0d0c0b0a090807060504030201000';
const OUT_SPI = 0x2001;
const REQID = 5;

function params(dialect: Dialect) {
  // replay: Linux counts packets, KAME bytes of bitmap (docs/pfkey.md, sadb_sa_replay row)
  const replay = dialect === 'linux' ? 32 : 4;
  return {
    pid: CLIENT_PID,
    watcherPid: WATCHER_PID,
    spiRange: [0x1000, 0x1fff],
    inbound: {
      src: PEER,
      dst: US,
      mode: 2,
      reqid: REQID,
      replay,
      auth: 0,
      encrypt: 20, // SADB_X_EALG_AES_GCM_ICV16
      encKey: GCM_KEY,
      hardAddtime: 3600,
      softAddtime: 2880,
      nattType: 2, // UDP_ENCAP_ESPINUDP
      sport: 61000, // inbound: the peer's mapped port
      dport: 4500,
      oa: { src: PEER_OA, dst: US },
    },
    outbound: {
      spi: OUT_SPI,
      src: US,
      dst: PEER,
      mode: 2,
      reqid: REQID,
      replay,
      auth: 5, // SADB_X_AALG_SHA2_256HMAC
      encrypt: 12, // SADB_X_EALG_AESCBC
      authKey: SHA256_KEY,
      encKey: CBC_KEY,
      nattType: 2,
      sport: 4500,
      dport: 61000,
    },
    policy: {
      src: '10.1.0.0',
      srcPrefix: 16,
      dst: '10.2.0.0',
      dstPrefix: 16,
      proto: 255,
      dir: 2, // IPSEC_DIR_OUTBOUND
      priority: 0,
      request: { mode: 2, level: 3, reqid: REQID, src: US, dst: PEER }, // tunnel, UNIQUE
    },
  };
}

interface Ext {
  [k: string]: unknown;
}
interface Msg {
  type: string;
  errno: number;
  satype: number;
  seq: number;
  pid: number;
  ext: Record<string, Ext>;
  order: string[];
}
interface Alg {
  id: number;
  ivlen: number;
  minbits: number;
  maxbits: number;
}
interface ClientOutput {
  watcherRegister: { errno: number };
  register: { errno: number; order: string[]; encrypt: Alg[]; auth: Alg[] };
  getspi: Msg;
  update: Msg;
  add: Msg;
  addAgain: { errno: number };
  get: Msg;
  dump: { seq: number; errno: number; spi: number; state: string; keys: string[] }[];
  spdadd: Msg;
  spddump: Msg[];
  delete: Msg;
  getDeleted: { errno: number };
  invalid: Record<string, { errno: number; len: number }>;
  barrierErrno: number;
  watcher: { type: string; errno: number; seq: number; pid: number; keys: string[]; spi: number | null }[];
}

const daemons: ChildProcess[] = [];
const dirs: string[] = [];
after(() => {
  for (const d of daemons) if (d.exitCode === null) d.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function startDaemon(
  dialect: Dialect,
): Promise<{ sock: string; stderr: () => string; stop: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), `esprit-pypfkey-${dialect}-`));
  dirs.push(dir);
  const sock = join(dir, 'pfkey.sock');
  const ctl = join(dir, 'ctl.sock');
  const child = spawn(process.execPath, [
    CLI,
    'ipsecd',
    '--no-dataplane',
    '--pfkey-socket',
    sock,
    '--pfkey-dialect',
    dialect,
    '--control-socket',
    ctl,
  ]);
  daemons.push(child);
  let err = '';
  child.stderr?.on('data', (c: Buffer) => {
    err += c.toString();
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  for (let i = 0; i < 500 && !existsSync(ctl); i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(existsSync(ctl), `daemon did not start:\n${err}`);
  return {
    sock,
    stderr: () => err,
    stop: async () => {
      child.kill('SIGTERM');
      assert.equal(await exited, 0, err);
    },
  };
}

const noKeys = (m: Msg) => m.order.filter((n) => n.startsWith('KEY_'));
const addr = (a: string, prefixlen = 32, proto = 0) => ({ proto, prefixlen, addr: a, port: 0 });
const lifetime = (addtime = 0) => ({ allocations: 0, bytes: 0, addtime, usetime: 0 });

for (const dialect of ['linux', 'kame'] as const) {
  test(`independent Python PF_KEY client, ${dialect} dialect`, async () => {
    requireTool(PYTHON, ['--version'], 'python3');
    const d = await startDaemon(dialect);
    const r = spawnSync(
      PYTHON,
      [
        join(ROOT, 'test', 'interop', 'pfkey_client.py'),
        '--socket',
        d.sock,
        '--dialect',
        dialect,
        '--params',
        JSON.stringify(params(dialect)),
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    assert.equal(r.status, 0, `python client failed:\n${r.stderr}\ndaemon:\n${d.stderr()}`);
    const o = JSON.parse(r.stdout) as ClientOutput;
    const p = params(dialect);
    const E = dialect === 'linux' ? { EOPNOTSUPP: 95 } : { EOPNOTSUPP: 45 }; // docs/pfkey.md "Errors"

    // REGISTER: SUPPORTED_AUTH then SUPPORTED_ENCRYPT; AEAD key bits include the 4-byte salt
    assert.equal(o.watcherRegister.errno, 0);
    assert.equal(o.register.errno, 0);
    assert.deepEqual(o.register.order, ['SUPPORTED_AUTH', 'SUPPORTED_ENCRYPT']);
    const enc = new Map(o.register.encrypt.map((a) => [a.id, a]));
    assert.deepEqual(enc.get(20), { id: 20, ivlen: 8, minbits: 160, maxbits: 288 });
    assert.equal(enc.get(12)?.minbits, 128);
    assert.equal(enc.get(12)?.maxbits, 256);
    assert.equal(enc.get(28)?.minbits, 288, 'private ChaCha20-Poly1305 = 28');
    assert.ok(o.register.auth.some((a) => a.id === 5 && a.minbits === 256 && a.maxbits === 256));

    // GETSPI: larval SA, SPI inside SPIRANGE, X_SA2 echoed
    const gs = o.getspi;
    assert.equal(gs.errno, 0);
    assert.equal(gs.seq, 2);
    assert.equal(gs.pid, CLIENT_PID);
    const spi = gs.ext.SA?.spi as number;
    assert.ok(spi >= 0x1000 && spi <= 0x1fff, `spi ${spi} outside SPIRANGE`);
    assert.equal(gs.ext.SA?.state, 'larval');
    assert.deepEqual(gs.ext.X_SA2, { mode: 2, reqid: REQID, sequence: 0 });
    assert.deepEqual(gs.ext.ADDRESS_SRC, addr(PEER));
    assert.deepEqual(gs.ext.ADDRESS_DST, addr(US));

    // UPDATE: mature, no keys in the reply, NAT-T and OA as sent (kame: OAI + OAR)
    const up = o.update;
    assert.equal(up.errno, 0);
    assert.deepEqual(up.ext.SA, { spi, replay: p.inbound.replay, state: 'mature', auth: 0, encrypt: 20, flags: 0 });
    assert.deepEqual(noKeys(up), []);
    assert.deepEqual(up.ext.LIFETIME_HARD, lifetime(3600));
    assert.deepEqual(up.ext.LIFETIME_SOFT, lifetime(2880));
    assert.deepEqual(up.ext.X_NAT_T_TYPE, { type: 2 });
    assert.deepEqual(up.ext.X_NAT_T_SPORT, { port: 61000 });
    assert.deepEqual(up.ext.X_NAT_T_DPORT, { port: 4500 });
    if (dialect === 'linux') {
      assert.deepEqual(up.ext.X_NAT_T_OA, addr(PEER_OA));
    } else {
      assert.deepEqual(up.ext.X_NAT_T_OAI, addr(PEER_OA));
      assert.deepEqual(up.ext.X_NAT_T_OAR, addr(US));
    }
    // Linux __pfkey_xfrm_state2msg order (docs/pfkey.md "Key engine semantics")
    assert.deepEqual(up.order.slice(0, 7), [
      'SA',
      'LIFETIME_HARD',
      'LIFETIME_SOFT',
      'LIFETIME_CURRENT',
      'ADDRESS_SRC',
      'ADDRESS_DST',
      'X_SA2',
    ]);

    // ADD: no keys in the reply; the same ADD again is EEXIST
    assert.equal(o.add.errno, 0);
    assert.deepEqual(noKeys(o.add), []);
    assert.deepEqual(o.add.ext.SA, {
      spi: OUT_SPI,
      replay: p.outbound.replay,
      state: 'mature',
      auth: 5,
      encrypt: 12,
      flags: 0,
    });
    assert.equal(o.addAgain.errno, 17);

    // GET: the keys come back
    assert.equal(o.get.errno, 0);
    assert.deepEqual(o.get.ext.KEY_ENCRYPT, { bits: 128, key: CBC_KEY });
    assert.deepEqual(o.get.ext.KEY_AUTH, { bits: 256, key: SHA256_KEY });
    assert.deepEqual(o.get.ext.X_NAT_T_SPORT, { port: 4500 });
    assert.deepEqual(o.get.ext.X_NAT_T_DPORT, { port: 61000 });

    // DUMP: one message per SA with keys, seq N-1 .. 0
    assert.deepEqual(
      o.dump.map((m) => [m.seq, m.errno, m.state]),
      [
        [1, 0, 'mature'],
        [0, 0, 'mature'],
      ],
    );
    assert.deepEqual(new Set(o.dump.map((m) => m.spi)), new Set([spi, OUT_SPI]));
    assert.ok(o.dump.every((m) => m.keys.includes('KEY_ENCRYPT')));

    // X_SPDADD: reply carries the policy with its id; request length per dialect (bytes)
    const reqLen = dialect === 'linux' ? 48 : 40;
    const request = { len: reqLen, proto: 50, mode: 2, level: 3, reqid: REQID, src: US, dst: PEER };
    assert.equal(o.spdadd.errno, 0);
    const pol = o.spdadd.ext.X_POLICY as { id: number; type: number; dir: number; requests: unknown[] };
    assert.equal(pol.type, 2);
    assert.equal(pol.dir, 2);
    assert.equal(pol.id & 7, 1, 'policy id low bits = xfrm direction (out = 1)');
    assert.deepEqual(pol.requests, [request]);
    assert.deepEqual(o.spdadd.ext.ADDRESS_SRC, addr('10.1.0.0', 16, 255));
    assert.deepEqual(o.spdadd.ext.ADDRESS_DST, addr('10.2.0.0', 16, 255));
    assert.equal(o.spddump.length, 1);
    assert.equal(o.spddump[0]?.seq, 0);
    assert.deepEqual(o.spddump[0]?.ext.X_POLICY, o.spdadd.ext.X_POLICY);

    // DELETE: SA state DEAD, no keys; then GET finds nothing: ESRCH (3 in both dialects)
    assert.equal(o.delete.errno, 0);
    assert.equal(o.delete.ext.SA?.state, 'dead');
    assert.deepEqual(noKeys(o.delete), []);
    assert.equal(o.getDeleted.errno, 3);

    // invalid messages: error replies are the header alone (len 2)
    assert.deepEqual(o.invalid, {
      badVersion: { errno: 22, len: 2 },
      badReserved: { errno: 22, len: 2 },
      duplicateExt: { errno: 22, len: 2 },
      missingExt: { errno: 22, len: 2 },
      satypeAh: { errno: E.EOPNOTSUPP, len: 2 },
    });

    // the watcher (REGISTERed, connected first) got the REGISTERED and ALL broadcasts, without
    // keys, in order; nothing of GETSPI/GET/DUMP/SPDDUMP/errors (ONE)
    assert.equal(o.barrierErrno, 3);
    assert.deepEqual(
      o.watcher.map((m) => [m.type, m.seq, m.pid, m.errno, m.keys.length]),
      [
        ['REGISTER', 1, CLIENT_PID, 0, 0],
        ['UPDATE', 3, CLIENT_PID, 0, 0],
        ['ADD', 4, CLIENT_PID, 0, 0],
        ['X_SPDADD', 8, CLIENT_PID, 0, 0],
        ['DELETE', 10, CLIENT_PID, 0, 0],
      ],
    );

    // esprit setkey shows what the Python client left installed (pfkey_dump.c format)
    const setkey = (flag: string) =>
      spawnSync(process.execPath, [CLI, 'setkey', '--socket', d.sock, '--dialect', dialect, flag], {
        encoding: 'utf8',
        timeout: 60_000,
      });
    const sad = setkey('-D');
    assert.equal(sad.status, 0, sad.stderr);
    const lines = sad.stdout.split('\n');
    assert.deepEqual(lines.slice(0, 2), [
      `${PEER}[61000] ${US}[4500] `,
      `\tesp-udp mode=tunnel spi=${spi}(0x${spi.toString(16).padStart(8, '0')}) reqid=${REQID}(0x0000000${REQID})`,
    ]);
    const natLine = dialect === 'linux' ? `\tNAT: OAI=${PEER_OA}` : `\tNAT: OAI=${PEER_OA} OAR=${US}`;
    assert.ok(lines.includes(natLine), sad.stdout);
    assert.ok(lines.includes('\tE: aes-gcm-16  00010203 04050607 08090a0b 0c0d0e0f 10111213'), sad.stdout);
    assert.ok(lines.includes(`\tseq=0x00000000 replay=${p.inbound.replay} flags=0x00000000 state=mature `), sad.stdout);
    assert.ok(
      lines.some((l) => l.startsWith('\tdiff: ') && l.endsWith('\thard: 3600(s)\tsoft: 2880(s)')),
      sad.stdout,
    );
    assert.ok(!sad.stdout.includes(`spi=${OUT_SPI}(`), 'the deleted outbound SA is gone');
    const spd = setkey('-DP');
    assert.equal(spd.status, 0, spd.stderr);
    assert.deepEqual(spd.stdout.split('\n').slice(0, 3), [
      '10.1.0.0/16[any] 10.2.0.0/16[any] any',
      '\tout ipsec',
      `\tesp/tunnel/${US}-${PEER}/unique:${REQID}`,
    ]);
    await d.stop();
  });
}
