/**
 * `--run-dir DIR` (issue 7's command-line contract): `esprit ipsecd --run-dir DIR` serves
 * DIR/pfkey.sock and DIR/control.sock, and `esprit setkey --run-dir DIR` / `esprit status
 * --run-dir DIR` find them, so two hosts on one machine keep their sockets apart. Real CLI
 * processes, Unix sockets in a temp dir, no root.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { parseIpsecdArgs } from '../../src/cli/commands/ipsecd.js';

const MAIN = resolve(import.meta.dirname, '../../src/cli/main.js');
let dir: string;
let daemon: ChildProcess;
let stderr = '';

function esprit(args: string[]) {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'esprit-rundir-'));
  daemon = spawn(process.execPath, [MAIN, 'ipsecd', '--no-dataplane', '--run-dir', join(dir, 'host-a')]);
  daemon.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const ctl = join(dir, 'host-a', 'control.sock');
  for (let i = 0; i < 500 && !existsSync(ctl); i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(existsSync(ctl), `control.sock did not appear; stderr:\n${stderr}`);
});

after(() => {
  if (daemon.exitCode === null) daemon.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

test('ipsecd --run-dir serves pfkey.sock and control.sock under the directory', () => {
  assert.ok(existsSync(join(dir, 'host-a', 'pfkey.sock')));
  assert.ok(existsSync(join(dir, 'host-a', 'control.sock')));
});

test('setkey --run-dir and status --run-dir reach that daemon', () => {
  const add = spawnSync(process.execPath, [MAIN, 'setkey', '--run-dir', join(dir, 'host-a'), '-c'], {
    encoding: 'utf8',
    input: 'add 192.0.2.1 192.0.2.2 esp 0x1234 -m tunnel -E aes-gcm-16 0x000102030405060708090a0b0c0d0e0f10111213 ;\n',
    timeout: 60_000,
  });
  assert.equal(add.status, 0, add.stderr);
  const dump = esprit(['setkey', '--run-dir', join(dir, 'host-a'), '-D']);
  assert.equal(dump.code, 0, dump.err);
  assert.match(dump.out, /192\.0\.2\.1 192\.0\.2\.2 \n\tesp mode=tunnel spi=4660\(0x00001234\)/);
  const st = esprit(['status', '--run-dir', join(dir, 'host-a'), '--json']);
  assert.equal(st.code, 0, st.err);
  assert.ok(JSON.parse(st.out), 'status --json prints JSON');
});

test('another --run-dir has no daemon: status fails instead of reaching host-a', () => {
  const st = esprit(['status', '--run-dir', join(dir, 'host-b')]);
  assert.notEqual(st.code, 0);
});

test('parseIpsecdArgs: --run-dir sets all three sockets; explicit socket options override one', () => {
  const a = parseIpsecdArgs(['--tun', 'esp9', '--run-dir', '/tmp/x', '--control-socket', '/tmp/c.sock']);
  assert.ok(!('error' in a));
  assert.deepEqual(a.sockets, [{ path: '/tmp/x/pfkey.sock', dialect: 'linux' }]);
  assert.equal(a.control, '/tmp/c.sock');
  assert.equal(a.dataplane?.ikeSocket, '/tmp/x/ike.sock');
  assert.deepEqual(parseIpsecdArgs(['--run-dir']), { error: '--run-dir needs a directory', code: 2 });
});

test('parseIpsecdArgs: --dataplane-threads 1|2, ESPRIT_DATAPLANE_THREADS as its default, mmsg only', () => {
  const threads = (argv: string[], env: Record<string, string> = {}) => {
    const a = parseIpsecdArgs(['--tun', 'esp9', ...argv], env);
    return 'error' in a ? a.error : a.dataplane?.threads;
  };
  assert.equal(threads([]), 1);
  assert.equal(threads(['--dataplane-threads', '2']), 2);
  assert.equal(threads([], { ESPRIT_DATAPLANE_THREADS: '2' }), 2);
  assert.equal(threads(['--dataplane-threads', '1'], { ESPRIT_DATAPLANE_THREADS: '2' }), 1, 'the flag wins');
  // the environment's default does not apply to node:dgram sockets; the flag is refused with them
  assert.equal(threads(['--udp-io', 'dgram'], { ESPRIT_DATAPLANE_THREADS: '2' }), 1);
  assert.equal(threads(['--udp-io', 'dgram', '--dataplane-threads', '2']), '--dataplane-threads 2 needs --udp-io mmsg');
  assert.equal(threads(['--dataplane-threads', '3']), '--dataplane-threads must be 1 or 2');
  assert.equal(threads([], { ESPRIT_DATAPLANE_THREADS: 'two' }), 'ESPRIT_DATAPLANE_THREADS must be 1 or 2');
  assert.equal(
    'error' in parseIpsecdArgs(['--dataplane-threads', '2']) ? 'refused' : 'taken',
    'refused',
    'a data-plane flag needs --tun',
  );
});
