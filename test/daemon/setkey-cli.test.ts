/**
 * `esprit setkey` against `esprit ipsecd` through the real CLI (node dist/src/cli/main.js), no
 * root: Unix sockets in a temp dir. One daemon serves a linux and a kame socket; the same
 * script runs through each, and `-D` / `-DP` must print what ipsec-tools pfkey_dump.c prints
 * for those SAs/policies (expected text written by hand from the script; creation times, the
 * diff and pids are masked). Error lines name the script line, as setkey.c postproc does.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';

const MAIN = resolve(import.meta.dirname, '../../src/cli/main.js');
let dir: string;
let daemon: ChildProcess;
let daemonExit: Promise<number | null>;
let stderr = '';

function esprit(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', input, timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

async function waitFor(path: string): Promise<void> {
  for (let i = 0; i < 500 && !existsSync(path); i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(existsSync(path), `${path} did not appear; daemon stderr:\n${stderr}`);
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'esprit-setkey-'));
  daemon = spawn(process.execPath, [
    MAIN,
    'ipsecd',
    '--no-dataplane',
    '--pfkey-socket',
    join(dir, 'pfkey.sock'),
    '--pfkey-socket',
    join(dir, 'pfkey-kame.sock'),
    '--pfkey-dialect',
    'kame',
    '--control-socket',
    join(dir, 'ctl.sock'),
  ]);
  daemon.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  daemonExit = new Promise((r) => daemon.once('exit', (code) => r(code)));
  await waitFor(join(dir, 'ctl.sock'));
});

after(() => {
  if (daemon.exitCode === null) daemon.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const SCRIPT = `# NAT-T tunnel, as docs/setkey.md
flush ;
spdflush ;
add 10.0.1.2[4500] 20.0.0.2[4500] esp-udp 0x10001 -m tunnel -u 1 -n keepalive
    -E aes-gcm-16 0x000102030405060708090a0b0c0d0e0f10111213 ;
add 20.0.0.1[32768] 20.0.0.2[4500] esp-udp 0x10002 -m tunnel -u 2 -e udp-encaps-00
    -E aes-cbc 0x00112233445566778899aabbccddeeff
    -A hmac-sha1 0x0102030405060708090a0b0c0d0e0f1011121314 ;
add 10.0.1.2[4500] 20.0.0.2[4500] esp-udp 0x10001 -m tunnel
    -E aes-gcm-16 0x000102030405060708090a0b0c0d0e0f10111213 ;
spdadd 10.0.1.0/24 10.0.2.0/24 any -P out ipsec
    esp/tunnel/10.0.1.2[4500]-20.0.0.2[4500]/unique:1 ;
delete 10.9.9.9 10.8.8.8 esp 0x999 ;
add 1.1.1.1 2.2.2.2 ah 0x300 -A hmac-sha1 0x0102030405060708090a0b0c0d0e0f1011121314 ;
`;

// setkey.c postproc: "The result of line %d: %s.\n" with strerror (glibc texts); lines of the
// statements' first token. EEXIST for the duplicate SA, ESRCH for the missing one (Linux
// pfkey_delete), EOPNOTSUPP for AH (esprit is ESP only).
const ERRORS = [
  'The result of line 9: File exists.',
  'The result of line 13: No such process.',
  'The result of line 14: Operation not supported.',
  '',
].join('\n');

// pfkey_dump.c pfkey_sadump1 for the two SAs of SCRIPT, in creation order (sadb_seq counts down);
// esprit adds the `-n` line and flag bits 0x00010000 keepalive / 0x00020000 float (the esp-udp default)
const SAD = [
  '10.0.1.2[4500] 20.0.0.2[4500] ',
  '\tesp-udp mode=tunnel spi=65537(0x00010001) reqid=1(0x00000001)',
  '\tesprit: -n keepalive',
  '\tE: aes-gcm-16  00010203 04050607 08090a0b 0c0d0e0f 10111213',
  '\tseq=0x00000000 replay=0 flags=0x00010040 state=mature ',
  '\tcreated: T',
  '\tdiff: D(s)\thard: 0(s)\tsoft: 0(s)',
  '\tlast:                     \thard: 0(s)\tsoft: 0(s)',
  '\tcurrent: 0(bytes)\thard: 0(bytes)\tsoft: 0(bytes)',
  '\tallocated: 0\thard: 0\tsoft: 0',
  '\tsadb_seq=1 pid=P refcnt=0',
  '20.0.0.1[32768] 20.0.0.2[4500] ',
  '\tesp-udp mode=tunnel spi=65538(0x00010002) reqid=2(0x00000002)',
  '\tesprit: -n float',
  '\tE: aes-cbc  00112233 44556677 8899aabb ccddeeff',
  '\tA: hmac-sha1  01020304 05060708 090a0b0c 0d0e0f10 11121314',
  '\tseq=0x00000000 replay=0 flags=0x00020040 state=mature ',
  '\tcreated: T',
  '\tdiff: D(s)\thard: 0(s)\tsoft: 0(s)',
  '\tlast:                     \thard: 0(s)\tsoft: 0(s)',
  '\tcurrent: 0(bytes)\thard: 0(bytes)\tsoft: 0(bytes)',
  '\tallocated: 0\thard: 0\tsoft: 0',
  '\tsadb_seq=0 pid=P refcnt=0',
  '',
].join('\n');

// pfkey_spdump1 + ipsec_dump_policy: tunnel ports only with -p; policy never used (times 0)
const SPD = [
  '10.0.1.0/24[any] 10.0.2.0/24[any] any',
  '\tout ipsec',
  '\tesp/tunnel/10.0.1.2-20.0.0.2/unique:1',
  `\tcreated: ${' '.repeat(20)}  lastused: ${' '.repeat(20)}`,
  '\tlifetime: 0(s) validtime: 0(s)',
  '\tspid=S seq=0 pid=P',
  '\trefcnt=0',
  '',
].join('\n');

const mask = (s: string) =>
  s
    .replace(/\tcreated: [A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d \d{4}\tcurrent: .*\n/g, '\tcreated: T\n')
    .replace(/\tdiff: \d+\(s\)/g, '\tdiff: D(s)')
    .replace(/ pid=\d+/g, ' pid=P')
    .replace(/\tspid=\d+/g, '\tspid=S');

for (const dialect of ['linux', 'kame'] as const) {
  test(`setkey -f / -D / -DP round trip, ${dialect} socket`, () => {
    const sock = join(dir, dialect === 'linux' ? 'pfkey.sock' : 'pfkey-kame.sock');
    const conf = join(dir, `${dialect}.conf`);
    writeFileSync(conf, SCRIPT);
    const base = ['setkey', '--socket', sock, '--dialect', dialect];
    const f = esprit([...base, '-f', conf]);
    assert.equal(f.out, ERRORS, f.err);
    assert.equal(f.code, 1, 'a failed command makes the exit code non-zero');
    const d = esprit([...base, '-D']);
    assert.equal(d.code, 0, d.err);
    assert.equal(mask(d.out), SAD);
    const p = esprit([...base, '-DP']);
    assert.equal(p.code, 0, p.err);
    assert.equal(mask(p.out), SPD);
    // policy ids carry the direction in their low 3 bits (Linux xfrm_gen_index; out = 1)
    assert.equal(Number(/spid=(\d+)/.exec(p.out)?.[1]) & 7, 1);
    const j = esprit([...base, '-D', '--json']);
    const sad = (JSON.parse(j.out) as { sad: { spi: number; natt?: { type: string; sport: number } }[] }).sad;
    assert.deepEqual(
      sad.map((e) => [e.spi, e.natt?.type, e.natt?.sport]),
      [
        [0x10001, 'rfc3948', 4500],
        [0x10002, 'udp-encaps-00', 32768],
      ],
    );
  });
}

test('-c reads stdin (no line prefix, as setkey.c MODE_STDIN); -F / -FP empty the tables', () => {
  const sock = join(dir, 'pfkey.sock');
  const c = esprit(
    ['setkey', '--socket', sock, '-c'],
    'get 10.0.1.2[4500] 20.0.0.2[4500] esp-udp 0x10001 ;\nget 10.0.1.2 20.0.0.2 esp 0x4242 ;\n',
  );
  assert.ok(c.out.startsWith('10.0.1.2[4500] 20.0.0.2[4500] \n\tesp-udp mode=tunnel spi=65537(0x00010001)'), c.out);
  assert.ok(c.out.endsWith('\nNo such process.\n'), c.out);
  assert.equal(c.code, 1);
  assert.equal(esprit(['setkey', '--socket', sock, '-F']).code, 0);
  assert.equal(esprit(['setkey', '--socket', sock, '-FP']).code, 0);
  const d = esprit(['setkey', '--socket', sock, '-D']);
  assert.equal(d.out, 'No SAD entries.\n');
  assert.equal(d.code, 0);
  assert.equal(esprit(['setkey', '--socket', sock, '-DP']).out, 'No SPD entries.\n');
});

test('status over the control socket; data-plane options without --tun refused with exit 2', () => {
  const s = esprit(['status', '--control-socket', join(dir, 'ctl.sock'), '--json']);
  assert.equal(s.code, 0, s.err);
  const st = JSON.parse(s.out) as {
    sockets: { kind: string; dialect?: string }[];
    sas: unknown[];
    counters: Record<string, number>;
  };
  assert.deepEqual(
    st.sockets.map((k) => [k.kind, k.dialect]),
    [
      ['pfkey', 'linux'],
      ['pfkey', 'kame'],
      ['control', undefined],
    ],
  );
  assert.equal(st.sas.length, 0);
  assert.equal(st.counters.framingErrors, 0);
  const t = esprit(['status', '--control-socket', join(dir, 'ctl.sock')]);
  assert.match(t.out, /^esprit ipsecd 0\.1\.0, up \d+ s\n/);
  const lone = esprit(['ipsecd', '--listen', '0.0.0.0:4500']);
  assert.equal(lone.code, 2);
  assert.match(lone.err, /--listen needs --tun/);
  const both = esprit(['ipsecd', '--tun', 'esp0', '--no-dataplane']);
  assert.equal(both.code, 2);
  assert.match(both.err, /exclude each other/);
});

test('SIGTERM: exit 0, socket files removed; a second daemon on a live socket refuses to start', async () => {
  const second = esprit([
    'ipsecd',
    '--pfkey-socket',
    join(dir, 'pfkey.sock'),
    '--control-socket',
    join(dir, 'ctl2.sock'),
  ]);
  assert.equal(second.code, 1);
  assert.match(second.err, /pfkey\.sock/);
  daemon.kill('SIGTERM');
  assert.equal(await daemonExit, 0);
  for (const f of ['pfkey.sock', 'pfkey-kame.sock', 'ctl.sock']) assert.equal(existsSync(join(dir, f)), false, f);
});
