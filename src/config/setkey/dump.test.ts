import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromHex } from '../../util/hex.js';
import { parseIp } from '../../util/ip-addr.js';
import {
  formatSadDump,
  formatSadJson,
  formatSpdDump,
  ipsecHexdump,
  type SadDumpEntry,
  type SpdDumpEntry,
  strTime,
} from './dump.js';
import { PRIORITY_DEFAULT } from './policy.js';

// Expected text below is hand-built from the printf formats of ipsec-tools libipsec
// pfkey_dump.c (pfkey_sadump1, pfkey_spdump1, str_time, str_lifetime_byte),
// ipsec_dump_policy.c and key_debug.c ipsec_hexdump (NetBSD crypto/dist/ipsec-tools).

const T2020 = 1577836800; // 2020-01-01T00:00:00Z

test('str_time: 20 blanks for 0, ctime(3) minus the weekday otherwise', () => {
  assert.equal(strTime(0), '                    ');
  assert.equal(strTime(T2020), 'Jan  1 00:00:00 2020');
  assert.equal(strTime(T2020 + 86400 * 40 + 3723), 'Feb 10 01:02:03 2020');
  assert.equal(strTime(T2020, 120), 'Jan  1 02:00:00 2020');
});

test('ipsec_hexdump: blank every 4 bytes, newline every 32', () => {
  const k = new Uint8Array(36).map((_, i) => i);
  assert.equal(ipsecHexdump(k), ' 00010203 04050607 08090a0b 0c0d0e0f 10111213 14151617 18191a1b 1c1d1e1f\n 20212223');
});

const natSa: SadDumpEntry = {
  src: { addr: parseIp('10.0.0.1') },
  dst: { addr: parseIp('10.0.0.2') },
  satype: 'esp',
  natt: { type: 'rfc3948', sport: 4500, dport: 4500 },
  mode: 'tunnel',
  spi: 0x1000,
  reqid: 0,
  encryption: { algorithm: 'aes-cbc', key: fromHex('00112233445566778899aabbccddeeff') },
  integrity: { algorithm: 'hmac-sha1-96', key: fromHex('0102030405060708090a0b0c0d0e0f1011121314') },
  seq: 0,
  replay: 4,
  flags: 0,
  state: 'mature',
  current: { allocations: 26, bytes: 2088n, addtime: T2020, usetime: 0 },
  hard: { allocations: 0, bytes: 0n, addtime: 3600, usetime: 0 },
  soft: { allocations: 0, bytes: 0n, addtime: 2880, usetime: 0 },
  sadbSeq: 1,
  pid: 3211,
  refcnt: 0,
};

test('setkey -D: esp-udp SA with lifetimes (pfkey_sadump1)', () => {
  const want = [
    '10.0.0.1[4500] 10.0.0.2[4500] ',
    '\tesp-udp mode=tunnel spi=4096(0x00001000) reqid=0(0x00000000)',
    '\tE: aes-cbc  00112233 44556677 8899aabb ccddeeff',
    '\tA: hmac-sha1  01020304 05060708 090a0b0c 0d0e0f10 11121314',
    '\tseq=0x00000000 replay=4 flags=0x00000000 state=mature ',
    '\tcreated: Jan  1 00:00:00 2020\tcurrent: Jan  1 00:01:04 2020',
    '\tdiff: 64(s)\thard: 3600(s)\tsoft: 2880(s)',
    '\tlast:                     \thard: 0(s)\tsoft: 0(s)',
    '\tcurrent: 2088(bytes)\thard: 0(bytes)\tsoft: 0(bytes)',
    '\tallocated: 26\thard: 0\tsoft: 0',
    '\tsadb_seq=1 pid=3211 refcnt=0',
    '',
  ].join('\n');
  assert.equal(formatSadDump([natSa], { now: T2020 + 64 }), want);
});

test('setkey -D: plain ESP AEAD SA without lifetimes, NAT-OA, empty SAD', () => {
  const gcm: SadDumpEntry = {
    src: { addr: parseIp('2001:db8::1') },
    dst: { addr: parseIp('2001:db8::2') },
    satype: 'esp',
    mode: 'transport',
    spi: 0xdeadbeef,
    reqid: 16385,
    encryption: { algorithm: 'aes-gcm-16', key: fromHex('000102030405060708090a0b0c0d0e0f10111213') },
    seq: 7,
    replay: 32,
    flags: 0x40,
    state: 'dying',
    sadbSeq: 0,
    pid: 0,
    refcnt: 2,
  };
  assert.equal(
    formatSadDump([gcm]),
    '2001:db8::1 2001:db8::2 \n' +
      '\tesp mode=transport spi=3735928559(0xdeadbeef) reqid=16385(0x00004001)\n' +
      '\tE: aes-gcm-16  00010203 04050607 08090a0b 0c0d0e0f 10111213\n' +
      '\tseq=0x00000007 replay=32 flags=0x00000040 state=dying \n' +
      '\tsadb_seq=0 pid=0 refcnt=2\n',
  );
  const oa: SadDumpEntry = {
    ...natSa,
    natt: { type: 'rfc3948', sport: 4500, dport: 31337, oa: { src: parseIp('192.168.1.10') } },
    current: undefined,
  };
  const lines = formatSadDump([oa]).split('\n');
  assert.equal(lines[0], '10.0.0.1[4500] 10.0.0.2[31337] ');
  // FreeBSD pfkey_dump.c: "\tNAT:" then " OAI=%s" / " OAR=%s"
  assert.equal(lines[2], '\tNAT: OAI=192.168.1.10');
  assert.equal(formatSadDump([]), 'No SAD entries.\n');
});

const spd: SpdDumpEntry = {
  src: { addr: parseIp('10.0.11.41'), prefixLen: 32, port: 21 },
  dst: { addr: parseIp('10.0.11.33'), prefixLen: 32, port: 0 },
  upper: { proto: 255 },
  policy: {
    dir: 'out',
    priority: PRIORITY_DEFAULT,
    action: 'ipsec',
    requests: [
      {
        proto: 'esp',
        mode: 'tunnel',
        tunnel: {
          src: { addr: parseIp('192.168.0.1'), port: 4500 },
          dst: { addr: parseIp('192.168.1.2'), port: 4500 },
        },
        level: 'require',
      },
      { proto: 'ah', mode: 'transport', level: 'unique', reqid: 20000 },
    ],
  },
  current: { addtime: T2020, usetime: 0 },
  hard: { addtime: 0, usetime: 0 },
  spid: 1,
  seq: 0,
  pid: 3211,
  refcnt: 1,
};

test('setkey -DP: policy with priority, tunnel and auto reqid (pfkey_spdump1)', () => {
  assert.equal(
    formatSpdDump([spd]),
    '10.0.11.41[21] 10.0.11.33[any] any\n' +
      '\tout prio def ipsec\n' +
      '\tesp/tunnel/192.168.0.1-192.168.1.2/require\n' +
      '\tah/transport//unique#20000\n' +
      '\tcreated: Jan  1 00:00:00 2020  lastused:                     \n' +
      '\tlifetime: 0(s) validtime: 0(s)\n' +
      '\tspid=1 seq=0 pid=3211\n' +
      '\trefcnt=1\n',
  );
  // setkey -DPp: ipsec_dump_policy_withports prints the tunnel ports
  assert.match(
    formatSpdDump([spd], { withPorts: true }),
    /\tesp\/tunnel\/192\.168\.0\.1\[4500\]-192\.168\.1\.2\[4500\]\/require\n/,
  );
});

test('setkey -DP: icmp6 type,code, prefixes, priority offsets, no prio for 0', () => {
  const e: SpdDumpEntry = {
    src: { addr: parseIp('::'), prefixLen: 0, port: 0 },
    dst: { addr: parseIp('fe80::'), prefixLen: 10, port: 0 },
    upper: { proto: 58, icmp: { type: 135, code: 0 } },
    policy: { dir: 'in', priority: PRIORITY_DEFAULT - 10, action: 'none', requests: [] },
    spid: 8,
    seq: 3,
    pid: 1,
    refcnt: 1,
  };
  assert.equal(
    formatSpdDump([e]),
    '::/0 fe80::/10 icmp6 135,0\n\tin prio def + 10 none\n\tspid=8 seq=3 pid=1\n\trefcnt=1\n',
  );
  const plain = { ...e, upper: { proto: 6 }, policy: { ...e.policy, priority: 0 } };
  assert.equal(formatSpdDump([plain]), '::/0[any] fe80::/10[any] tcp\n\tin none\n\tspid=8 seq=3 pid=1\n\trefcnt=1\n');
  assert.equal(formatSpdDump([]), 'No SPD entries.\n');
});

test('--json: addresses as text, keys as hex, bigints as strings', () => {
  const j = JSON.parse(formatSadJson([natSa])) as { sad: Record<string, unknown>[] };
  const e = j.sad[0] as Record<string, unknown>;
  assert.deepEqual(e.src, { addr: '10.0.0.1' });
  assert.deepEqual(e.encryption, { algorithm: 'aes-cbc', key: '00112233445566778899aabbccddeeff' });
  assert.deepEqual(e.current, { allocations: 26, bytes: '2088', addtime: T2020, usetime: 0 });
  assert.deepEqual(e.natt, { type: 'rfc3948', sport: 4500, dport: 4500 });
});
