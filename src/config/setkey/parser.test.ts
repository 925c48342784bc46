import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../util/errors.js';
import { fromHex } from '../../util/hex.js';
import { parseSetkey } from './parser.js';
import { PRIORITY_DEFAULT, PRIORITY_HIGH, PRIORITY_LOW } from './policy.js';
import { SetkeyError } from './setkey-error.js';
import type { AddCommand, SetkeyCommand, SpdCommand } from './types.js';

const ascii = (s: string) => new TextEncoder().encode(s);

function only<T extends SetkeyCommand['op']>(cmds: SetkeyCommand[], op: T): (SetkeyCommand & { op: T })[] {
  return cmds.filter((c): c is SetkeyCommand & { op: T } => c.op === op);
}

test('ipsec-tools sample.cf: AH transport + ESP tunnel bundle at Gateway-A', () => {
  // Source: ipsec-tools src/setkey/sample.cf (NetBSD crypto/dist/ipsec-tools), "At Gateway-A" block,
  // verbatim apart from the leading comment.
  const cf = `# AH transport mode followed by ESP tunnel mode
spdadd fec0:0:0:1::/64 fec0:0:0:2::/64 any -P out ipsec
	esp/tunnel/fec0:0:0:1::1-fec0:0:0:2::1/require
	ah/transport//require ;
spdadd fec0:0:0:2::/64 fec0:0:0:1::/64 any -P in ipsec
	esp/tunnel/fec0:0:0:2::1-fec0:0:0:1::1/require
	ah/transport//require ;
add fec0:0:0:1::1 fec0:0:0:2::1 esp 0x10001
	-m tunnel
	-E 3des-cbc "kamekame12341234kame1234"
	-A hmac-sha1 "this is the test key" ;
add fec0:0:0:1::1 fec0:0:0:2::1 ah 0x10001
	-m transport
	-A hmac-md5 "this is the test" ;
`;
  const cmds = parseSetkey(cf, 'sample.cf');
  assert.equal(cmds.length, 4);
  const [out, inn] = only(cmds, 'spdadd');
  assert.ok(out && inn);
  assert.equal(out.line, 2);
  assert.equal(out.src.addr.text, 'fec0:0:0:1::');
  assert.equal(out.src.prefixLen, 64);
  assert.equal(out.src.port, 0);
  assert.equal(out.upper.proto, 255);
  assert.equal(out.policy.dir, 'out');
  assert.equal(out.policy.action, 'ipsec');
  assert.equal(out.policy.priority, undefined);
  assert.equal(out.policy.requests.length, 2);
  const [esp, ah] = out.policy.requests;
  assert.equal(esp?.proto, 'esp');
  assert.equal(esp?.mode, 'tunnel');
  assert.equal(esp?.tunnel?.src.addr.text, 'fec0:0:0:1::1');
  assert.equal(esp?.tunnel?.dst.addr.text, 'fec0:0:0:2::1');
  assert.equal(esp?.level, 'require');
  assert.deepEqual(ah, { proto: 'ah', mode: 'transport', level: 'require' });
  assert.equal(inn.policy.dir, 'in');
  const [sa1, sa2] = only(cmds, 'add');
  assert.ok(sa1 && sa2);
  assert.equal(sa1.line, 8);
  assert.equal(sa1.satype, 'esp');
  assert.equal(sa1.spi, 0x10001);
  assert.equal(sa1.mode, 'tunnel');
  assert.deepEqual(sa1.encryption, { algorithm: '3des-cbc', key: ascii('kamekame12341234kame1234') });
  assert.deepEqual(sa1.integrity, { algorithm: 'hmac-sha1-96', key: ascii('this is the test key') });
  assert.equal(sa2.satype, 'ah');
  assert.equal(sa2.encryption, undefined);
  assert.deepEqual(sa2.integrity, { algorithm: 'hmac-md5-96', key: ascii('this is the test') });
});

test('ipsec-tools sample.cf: get, spddelete, delete, dump, spddump, flush', () => {
  // Source: sample.cf lines after "By \"get\" command" (verbatim)
  const cf = `get fec0:0:0:1::1 fec0:0:0:2::2 ah 0x10004 ;
spddelete fec0:0:0:1::/64 fec0:0:0:2::/64 any -P out;
delete fec0:0:0:1::1 fec0:0:0:2::2 ah 0x10004 ;
dump ;
spddump ;
dump esp ;
flush esp ;
flush ;
spdflush ;`;
  const cmds = parseSetkey(cf);
  assert.deepEqual(
    cmds.map((c) => c.op),
    ['get', 'spddelete', 'delete', 'dump', 'spddump', 'dump', 'flush', 'flush', 'spdflush'],
  );
  const del = cmds[1];
  assert.ok(del?.op === 'spddelete');
  assert.equal(del.dir, 'out');
  assert.equal(del.policy, undefined);
  assert.deepEqual(cmds[5], { op: 'dump', line: 6, satype: 'esp' });
  assert.deepEqual(cmds[7], { op: 'flush', line: 8 });
  const get = cmds[0];
  assert.ok(get?.op === 'get');
  assert.equal(get.satype, 'ah');
  assert.equal(get.spi, 0x10004);
});

test('ipsec-tools sample.cf: replay, lifetimes, padding and nocyclic-seq options', () => {
  // Source: sample.cf "add ::1 ::1 esp 10016/10017" with the obsolete null-only SAs given -A
  const cf = `add ::1 ::1 esp 10016 -m tunnel -f random-pad -r 8 -lh 100 -ls 80 -E null -A hmac-sha1 "12341234123412341234" ;
add ::1 ::1 esp 10017 -m transport -f seq-pad -f nocyclic-seq -bh 1000000 -bs 800000 -u 7 -E null -A hmac-md5 "1234123412341234" ;`;
  const [a, b] = only(parseSetkey(cf), 'add');
  assert.ok(a && b);
  assert.equal(a.spi, 10016);
  assert.equal(a.replay, 8);
  assert.equal(a.pad, 'random-pad');
  assert.equal(a.cyclicSeq, true);
  assert.deepEqual(a.lifetime, { hard: { time: 100 }, soft: { time: 80 } });
  assert.deepEqual(a.encryption, { algorithm: 'null', key: new Uint8Array(0) });
  assert.equal(b.pad, 'seq-pad');
  assert.equal(b.cyclicSeq, false);
  assert.equal(b.reqid, 7);
  assert.deepEqual(b.lifetime, { hard: { bytes: 1000000n }, soft: { bytes: 800000n } });
});

test('setkey(8) EXAMPLES and NAT-T policy with ports', () => {
  // Source: NetBSD crypto/dist/ipsec-tools/src/setkey/setkey.8 (EXAMPLES; NAT-T paragraph; upperspec)
  const cf = `spdadd 10.0.11.41/32[21] 10.0.11.33/32[any] any
	-P out ipsec esp/tunnel/192.168.0.1-192.168.1.2/require ;
spdadd 10.0.11.0/24[any] 10.0.11.33/32[any] any -P out ipsec
    esp/tunnel/192.168.0.1[4500]-192.168.1.2[30000]/require ;
spdadd ::/0 ::/0 icmp6 135,0 -P in none ;
get 3ffe:501:4819::1 3ffe:501:481d::1 ah 123456 ;
`;
  const cmds = parseSetkey(cf);
  const [p1, p2, p3] = only(cmds, 'spdadd');
  assert.ok(p1 && p2 && p3);
  assert.equal(p1.src.port, 21);
  assert.equal(p1.src.prefixLen, 32);
  assert.equal(p1.dst.port, 0);
  assert.equal(p2.src.prefixLen, 24);
  const rq = p2.policy.requests[0];
  assert.equal(rq?.tunnel?.src.port, 4500);
  assert.equal(rq?.tunnel?.dst.port, 30000);
  assert.equal(rq?.tunnel?.dst.addr.text, '192.168.1.2');
  assert.deepEqual(p3.upper, { proto: 58, icmp: { type: 135, code: 0 } });
  assert.equal(p3.policy.action, 'none');
  assert.deepEqual(p3.policy.requests, []);
  assert.equal(p3.src.prefixLen, 0);
  assert.equal(p3.src.addr.family, 6);
});

test('NetBSD tests/net/ipsec/t_ipsec_natt.sh add_sa: esp-udp with spaced [port] endpoints', () => {
  // Source: NetBSD tests/net/ipsec/t_ipsec_natt.sh add_sa(), with generate_algo_args esp-udp rijndael-cbc
  // (algorithms.sh: first valid key length 128 bits, key "aaaaaaaaaaaaaaaa"); local and NAT side.
  const cf = `add 10.0.1.2 [4500] 20.0.0.2 [4500] esp-udp 10000 -E rijndael-cbc "aaaaaaaaaaaaaaaa";
add 20.0.0.2 [4500] 10.0.1.2 [4500] esp-udp 10001 -E rijndael-cbc "aaaaaaaaaaaaaaaa";
add 10.0.1.2 [32768] 20.0.0.2 [4500] esp-udp 10000 -E rijndael-cbc "aaaaaaaaaaaaaaaa";
add 20.0.0.2 [4500] 20.0.0.1 [32768] esp-udp 10001 -E rijndael-cbc "aaaaaaaaaaaaaaaa";`;
  const sas = only(parseSetkey(cf), 'add');
  assert.equal(sas.length, 4);
  for (const sa of sas) {
    assert.equal(sa.satype, 'esp-udp');
    assert.deepEqual(sa.encryption, { algorithm: 'aes-cbc', key: ascii('aaaaaaaaaaaaaaaa') });
    assert.deepEqual(sa.integrity, { algorithm: 'none', key: new Uint8Array(0) });
    assert.equal(sa.mode, 'any');
  }
  assert.deepEqual(sas[2]?.natt, { type: 'rfc3948', sport: 32768, dport: 4500, keepalive: false, float: true });
  assert.deepEqual(sas[3]?.natt, { type: 'rfc3948', sport: 4500, dport: 32768, keepalive: false, float: true });
  assert.equal(sas[3]?.dst.addr.text, '20.0.0.1');
});

test('esp-udp: default port 4500, NetBSD NAT-OA address, esprit -e and -o', () => {
  // parse.y: PR_ESPUDP ipaddr sets the NAT-OA; get_port() uses 4500 for port 0
  const key = '0x00112233445566778899aabbccddeeff';
  const cf = `add 10.0.0.1 10.0.0.2 esp-udp 192.168.1.10 0x1000 -m transport -E aes-cbc ${key} -A hmac-sha256 ${key}${key.slice(2)} ;
add 10.0.0.1[4500] 10.0.0.2[4500] esp-udp 0x1001 -m tunnel -e udp-encaps-00 -o 192.168.1.10 any -E aes-gcm-16 ${key}01020304 ;
add 10.0.0.1[10000] 10.0.0.2[10000] esp-udp 0x1002 -e cisco-udp -o any 172.16.0.1 -E aes-gcm-8 ${key}01020304 ;`;
  const [a, b, c] = only(parseSetkey(cf), 'add');
  assert.ok(a && b && c);
  assert.equal(a.natt?.sport, 4500);
  assert.equal(a.natt?.dport, 4500);
  assert.equal(a.natt?.oa?.src?.text, '192.168.1.10');
  assert.equal(a.natt?.oa?.dst, undefined);
  assert.equal(a.src.port, undefined);
  assert.equal(a.integrity.algorithm, 'hmac-sha256-128');
  assert.equal(b.natt?.type, 'udp-encaps-00');
  assert.equal(b.natt?.oa?.src?.text, '192.168.1.10');
  assert.deepEqual(b.encryption?.key, fromHex(`${key}01020304`));
  assert.equal(c.natt?.type, 'cisco-udp');
  assert.equal(c.natt?.sport, 10000);
  assert.equal(c.natt?.oa?.dst?.text, '172.16.0.1');
  assert.equal(c.natt?.oa?.src, undefined);
});

test('algorithm names: ipsec-tools spellings and esprit aliases, key lengths from suites.ts', () => {
  const k = (n: number) => `0x${'ab'.repeat(n)}`;
  const cases: [string, string, string][] = [
    [`-E 3des-cbc ${k(24)}`, '3des-cbc', 'none'],
    [`-E aes-cbc ${k(32)} -A hmac-sha512 ${k(64)}`, 'aes-cbc', 'hmac-sha512-256'],
    [`-E rijndael-cbc ${k(24)} -A hmac-sha2-384 ${k(48)}`, 'aes-cbc', 'hmac-sha384-192'],
    [`-E aes-gcm-12 ${k(28)}`, 'aes-gcm-12', 'none'],
    [`-E chacha20-poly1305 ${k(36)}`, 'chacha20-poly1305', 'none'],
    [`-E aes-gmac ${k(20)}`, 'aes-gmac', 'none'],
    [`-E null_aes_gmac ${k(36)}`, 'aes-gmac', 'none'],
    [`-E null -A hmac-sha2-256 ${k(32)}`, 'null', 'hmac-sha256-128'],
    [`-E aes-cbc ${k(16)} -A hmac-sha1-96 ${k(20)}`, 'aes-cbc', 'hmac-sha1-96'],
  ];
  for (const [opts, enc, integ] of cases) {
    const [c] = parseSetkey(`add 10.0.0.1 10.0.0.2 esp 0x1000 ${opts} ;`);
    assert.ok(c?.op === 'add', opts);
    assert.equal(c.encryption?.algorithm, enc, opts);
    assert.equal(c.integrity.algorithm, integ, opts);
  }
  // parse.y key_string: an odd number of hex digits puts the first digit alone in byte 0
  const [odd] = parseSetkey(`add 10.0.0.1 10.0.0.2 esp 0x1000 -E 3des-cbc 0x${'1'.repeat(47)} ;`) as AddCommand[];
  assert.equal(odd?.encryption?.key[0], 0x01);
  assert.equal(odd?.encryption?.key[1], 0x11);
});

test('policy priorities follow libipsec policy_parse.y', () => {
  const prio = (p: string) =>
    (parseSetkey(`spdadd 10.0.0.0/8 10.1.0.0/16 any -P out ${p} discard ;`)[0] as SpdCommand).policy.priority;
  assert.equal(prio('priority 10'), PRIORITY_DEFAULT - 10);
  assert.equal(prio('prio -10'), PRIORITY_DEFAULT + 10);
  assert.equal(prio('priority - 10'), PRIORITY_DEFAULT + 10);
  assert.equal(prio('prio high'), PRIORITY_HIGH);
  assert.equal(prio('prio low + 5'), PRIORITY_LOW - 5);
  assert.equal(prio('prio def - 7'), PRIORITY_DEFAULT + 7);
  assert.equal(prio('prio high +1073741824'), 0);
});

test('policy levels, reqids, fwd and # comments inside a multi-line policy', () => {
  const cf = `spdadd 10.0.0.0/24 10.0.1.0/24 tcp -P fwd ipsec # first rule
    esp/tunnel/1.1.1.1-2.2.2.2/unique:42   # bound to SA -u 42
    ah/transport/ ;
spdupdate 10.0.0.0/24[80] 10.0.1.0/24 udp -P in ipsec esp/transport//use ;
spdadd 10.0.0.0/24 10.0.1.0/24 17 -P out ipsec esp/transport//unique ;`;
  const cmds = parseSetkey(cf);
  const [a, b, c] = cmds;
  assert.ok(a?.op === 'spdadd' && b?.op === 'spdupdate' && c?.op === 'spdadd');
  assert.equal(a.upper.proto, 6);
  assert.equal(a.policy.dir, 'fwd');
  assert.deepEqual(a.policy.requests[0]?.reqid, 42);
  assert.equal(a.policy.requests[0]?.level, 'unique');
  assert.deepEqual(a.policy.requests[1], { proto: 'ah', mode: 'transport', level: 'default' });
  assert.equal(b.src.port, 80);
  assert.equal(b.upper.proto, 17);
  assert.equal(b.policy.requests[0]?.level, 'use');
  assert.equal(c.upper.proto, 17);
  assert.deepEqual(c.policy.requests[0], { proto: 'esp', mode: 'transport', level: 'unique' });
});

test('address flags -4/-6/-n, deleteall, setkey.conf sample', () => {
  // Source: ipsec-tools src/setkey/setkey.conf (sample shipped with ipsec-tools)
  const cf = `spdflush;
spdadd 127.0.0.0/8 127.0.0.0/8 any -P out none;
spdadd 127.0.0.0/8 127.0.0.0/8 any -P in none;
deleteall -4n 10.0.0.1 10.0.0.2 esp ;
delete -6 ::1 ::2 esp 0x300 -m any ;`;
  const cmds = parseSetkey(cf);
  assert.deepEqual(
    cmds.map((c) => c.op),
    ['spdflush', 'spdadd', 'spdadd', 'deleteall', 'delete'],
  );
  const da = cmds[3];
  assert.ok(da?.op === 'deleteall');
  assert.equal(da.src.text, '10.0.0.1');
  assert.equal(da.satype, 'esp');
});

/**
 * Error cases: input, a caret line marking the expected column (hand-annotated),
 * the expected token and a message pattern. Line is 1 unless the input has newlines
 * before the caret's line (the caret line then refers to the last input line).
 */
const ERRORS: [string, string, string, RegExp][] = [
  [
    'add 10.0.0.1 10.0.0.2 esp 0x1000 -E aes-ccm 0x00;',
    '                                    ^',
    'aes-ccm',
    /unknown encryption algorithm "aes-ccm"/,
  ],
  [
    'add 10.0.0.1 10.0.0.2 esp 0x1000 -E des-cbc 0x3ffe05014819ffff ;',
    '                                    ^',
    'des-cbc',
    /single DES/,
  ],
  [
    'add 10.0.0.1 10.0.0.2 ah 0x1000 -A keyed-md5 "1234123412341234" ;',
    '                                   ^',
    'keyed-md5',
    /keyed-md5/,
  ],
  [
    'add 10.0.0.1 10.0.0.2 esp 0x1000 -E aes-cbc 0x0011 ;',
    '                                            ^',
    '0x0011',
    /bad key length for aes-cbc: 2 bytes; need 16, 24, 32/,
  ],
  [
    'add 10.0.0.1 10.0.0.2 esp 0x1000 -E aes-gcm-16 0x00112233445566778899aabbccddeeff ;',
    '                                               ^',
    '0x00112233445566778899aabbccddeeff',
    /need 20, 28, 36 bytes \(key \+ 4-byte salt\)/,
  ],
  [
    'add 10.0.0.1 10.0.0.2 esp 0x1000 -E aes-cbc "0123456789abcdef" -A hmac-sha1 "short" ;',
    '                                                                            ^',
    'short',
    /bad key length for hmac-sha1: 5 bytes; need 20/,
  ],
  [
    'add 10.0.0.1 10.0.0.2 esp 0x1000 -C deflate ;',
    '                                 ^',
    '-C',
    /IPComp is not supported/,
  ],
  ['add 10.0.0.1 10.0.0.2 ipcomp 0x1000 -C deflate ;', '                      ^', 'ipcomp', /IPComp is not supported/],
  ['add 10.0.0.1 10.0.0.2 esp 255 -E null ;', '                          ^', '255', /reserved/],
  ['get 10.0.0.1 10.0.0.2 esp 0x100000000 ;', '                          ^', '0x100000000', /SPI too big/],
  ['spdflush', '        ^', '<end of input>', /expected ';'/],
  ['frobnicate ;', '^', 'frobnicate', /unknown command/],
  [
    'add myhost.example.com 10.0.0.2 esp 0x1000 -E null ;',
    '    ^',
    'myhost.example.com',
    /host names are not resolved/,
  ],
  [
    'add 10.0.0.1 10.0.0.2 esp 0x1000 -m beet -E null ;',
    '                                    ^',
    'beet',
    /mode must be/,
  ],
  [
    'add 10.0.0.1 10.0.0.2 esp 0x1000 -e rfc3948 -E aes-cbc "0123456789abcdef" ;',
    '                                 ^',
    '-e',
    /-e needs protocol esp-udp/,
  ],
  [
    'add 10.0.0.1 10.0.0.2 esp-udp 0x1000 -e espinudp -E null ;',
    '                                        ^',
    'espinudp',
    /-e takes rfc3948, udp-encaps-00, cisco-udp/,
  ],
  [
    'add 10.0.0.1 10.0.0.2 esp 0x1000 -E aes-gcm-8 0x0011223344556677889900112233445566778899 -A hmac-sha1 "12345678901234567890" ;',
    '                                                                                         ^',
    '-A',
    /authenticates by itself/,
  ],
  ['add 10.0.0.1 10.0.0.2 esp 0x1000 -m tunnel ;', '^', 'add', /esp needs -E/],
  [
    'add 10.0.0.1 10.0.0.2 esp 0x1000 -E null ;',
    '                                 ^',
    '-E',
    /null encryption needs -A/,
  ],
  ['add 10.0.0.1 ::2 esp 0x1000 -E null ;', '             ^', '::2', /mix IPv4 and IPv6/],
  ['add 10.0.0.1/32 10.0.0.2 esp 0x1000 -E null ;', '            ^', '/', /takes no \/prefixlen/],
  ['add 10.0.0.1[70000] 10.0.0.2 esp 0x1000 -E null ;', '             ^', '70000', /port out of range/],
  [
    'add 10.0.0.1 10.0.0.2 esp 0x1000 -E aes-cbc "unterminated ;',
    '                                            ^',
    '"unterminated ;',
    /unterminated quoted string/,
  ],
  ['add 10.0.0.1 10.0.0.2 esp 0x1000 @ ;', '                                 ^', '@', /unexpected character/],
  [
    'add 10.0.0.1 10.0.0.2 esp 0x1000 -r 256 -E null ;',
    '                                    ^',
    '256',
    /replay window out of range/,
  ],
  [
    'add 10.0.0.1 10.0.0.2 esp 0x1000 -E null -E null ;',
    '                                         ^',
    '-E',
    /duplicate -E/,
  ],
  [
    'add 10.0.0.1 10.0.0.2 esp 0x1000 -ctx 1 1 "x" -E null ;',
    '                                 ^',
    '-ctx',
    /security contexts/,
  ],
  ['add 10.0.0.1 10.0.0.2 esp 0x1000 -x ;', '                                 ^', '-x', /unknown option "-x"/],
  [
    'add 10.0.0.1 10.0.0.2 ah 0x1000 -E null -A hmac-md5 "1234123412341234" ;',
    '                                ^',
    '-E',
    /AH takes no -E/,
  ],
  ['spdadd 10.0.0.0/33 10.0.0.0/8 any -P out none ;', '                ^', '33', /prefix length out of range/],
  ['spdadd 10.0.0.0/8 10.0.0.0/8 foo -P out none ;', '                             ^', 'foo', /upper-layer protocol/],
  ['spdadd ::/0 ::/0 icmp6 135 -P in none ;', '                       ^', '135', /type,code/],
  ['spdadd ::/0 ::/0 tcp 1,2 -P in none ;', '                     ^', '1,2', /only supported for icmp/],
  ['spdadd tagged "foo" -P out none ;', '       ^', 'tagged', /tagged/],
  [
    'spdadd 10.0.0.0/8 10.0.0.0/8 any -P sideways none ;',
    '                                    ^',
    'sideways',
    /bad policy direction/,
  ],
  [
    'spdadd 10.0.0.0/8 10.0.0.0/8 any -P out allow ;',
    '                                        ^',
    'allow',
    /bad policy action/,
  ],
  [
    'spdadd 10.0.0.0/8 10.0.0.0/8 any -P out ;',
    '                                        ^',
    '<end of policy>',
    /policy action missing/,
  ],
  [
    'spdadd 10.0.0.0/8 10.0.0.0/8 any -P out ipsec esp ;',
    '                                              ^',
    'esp',
    /too few arguments/,
  ],
  [
    'spdadd 10.0.0.0/8 10.0.0.0/8 any -P out ipsec esp/tunnel//require ;',
    '                                              ^',
    'esp/tunnel//require',
    /tunnel mode needs endpoint/,
  ],
  [
    'spdadd 10.0.0.0/8 10.0.0.0/8 any -P out ipsec esp/transport/1.1.1.1-2.2.2.2/require ;',
    '                                                            ^',
    'esp/transport/1.1.1.1-2.2.2.2/require',
    /only allowed in tunnel mode/,
  ],
  [
    'spdadd 10.0.0.0/8 10.0.0.0/8 any -P out ipsec esp/transport//must ;',
    '                                                             ^',
    'esp/transport//must',
    /bad level "must"/,
  ],
  [
    'spdadd 10.0.0.0/8 10.0.0.0/8 any -P out ipsec esp/transport//unique:0 ;',
    '                                                             ^',
    'esp/transport//unique:0',
    /1-32767/,
  ],
  [
    'spdadd 10.0.0.0/8 10.0.0.0/8 any -P out ipsec esp/transport//unique:40000 ;',
    '                                              ^',
    'esp/transport//unique:40000',
    /unique reqid out of range/,
  ],
  [
    'spdadd 10.0.0.0/8 10.0.0.0/8 any -P out ipsec ipcomp/transport//use ;',
    '                                              ^',
    'ipcomp/transport//use',
    /IPComp/,
  ],
  [
    'spdadd 10.0.0.0/8 10.0.0.0/8 any -P out entrust ;',
    '                                        ^',
    'entrust',
    /not supported/,
  ],
  [
    'spdadd 10.0.0.0/8 10.0.0.0/8 any -P out priority 3000000000 none ;',
    '                                                 ^',
    '3000000000',
    /priority out of range/,
  ],
  [
    'spdadd 10.0.0.0/8 10.0.0.0/8 any -P out discard esp/transport//use ;',
    '                                                ^',
    'esp/transport//use',
    /after "discard"/,
  ],
  [
    'spdadd 10.0.0.0/8 10.0.0.0/8 any -P out ipsec ;',
    '                                        ^',
    'ipsec',
    /at least one/,
  ],
  [
    'spdadd 10.0.0.0/8 10.0.0.0/8 any -P out ipsec esp/tunnel/1.1.1.1-::2/require ;',
    '                                                         ^',
    'esp/tunnel/1.1.1.1-::2/require',
    /mix IPv4 and IPv6/,
  ],
  [
    'spdadd 10.0.0.0/8 10.0.0.0/8 any -P out none',
    '                                            ^',
    '<end of input>',
    /not terminated/,
  ],
  [
    'spdadd 10.0.0.0/8 10.0.0.0/8 any -P out "none" ;',
    '                                        ^',
    '"',
    /unexpected character in policy/,
  ],
  ['dump\n# comment\nadd 10.0.0.1 10.0.0.2 esp 0x1000\n\t-E aes-cbc 0x00 ;', '\t^', 'dump', /expected ';' to end dump/],
];

test('every error names file, line, column and token', () => {
  for (const [input, caret, token, msg] of ERRORS) {
    const lines = input.split('\n');
    let expLine = lines.length;
    let expCol = caret.indexOf('^') + 1;
    if (token === 'dump') {
      // the missing ';' after "dump" is found at the next token, "add" on line 3
      expLine = 3;
      expCol = 1;
    }
    assert.throws(
      () => parseSetkey(input, 'setkey.conf'),
      (e: unknown) => {
        assert.ok(e instanceof SetkeyError, `${input}: ${String(e)}`);
        assert.ok(e instanceof ConfigError);
        const want = token === 'dump' ? 'add' : token;
        assert.equal(e.token, want, input);
        assert.equal(e.line, expLine, input);
        assert.equal(e.column, expCol, input);
        assert.equal(e.file, 'setkey.conf');
        assert.match(e.message, msg, input);
        assert.ok(e.message.startsWith(`setkey.conf:${expLine}:${expCol}: `), e.message);
        assert.ok(e.message.endsWith(`(token '${want}')`), e.message);
        return true;
      },
      input,
    );
  }
});

test('message format matches the documented example', () => {
  assert.throws(() => parseSetkey('flush;\ndump;\nadd 10.0.0.1 10.0.0.2 esp 1000 -E aes-ccm 0x00 ;'), {
    message: `setkey.conf:3:35: unknown encryption algorithm "aes-ccm" (token 'aes-ccm')`,
  });
});

test('docs/setkey.md NAT-T example: both ends parse with the NAT-mapped port on B', () => {
  const b = `flush ; spdflush ;
add 20.0.0.1[32768] 20.0.0.2[4500] esp-udp 0x10001 -m tunnel -u 1
    -E aes-gcm-16 0x000102030405060708090a0b0c0d0e0f10111213 ;
spdadd 10.0.2.0/24 10.0.1.0/24 any -P out ipsec
    esp/tunnel/20.0.0.2[4500]-20.0.0.1[32768]/unique:2 ;`;
  const [, , sa, sp] = parseSetkey(b);
  assert.ok(sa?.op === 'add' && sp?.op === 'spdadd');
  assert.deepEqual(sa.natt, { type: 'rfc3948', sport: 32768, dport: 4500, keepalive: false, float: true });
  assert.equal(sa.reqid, 1);
  assert.equal(sp.policy.requests[0]?.tunnel?.dst.port, 32768);
  assert.equal(sp.policy.requests[0]?.reqid, 2);
});

test('esprit -n: keepalive/float/none lists; default float on esp-udp; refused on esp and for bad words', () => {
  const k = '-E aes-gcm-16 0x000102030405060708090a0b0c0d0e0f10111213';
  const side = (opt: string) => {
    const [c] = parseSetkey(`add 10.0.0.1 10.0.0.2 esp-udp 0x1000 ${opt} ${k} ;`);
    assert.ok(c?.op === 'add');
    return { keepalive: c.natt?.keepalive, float: c.natt?.float };
  };
  assert.deepEqual(side(''), { keepalive: false, float: true });
  assert.deepEqual(side('-n keepalive'), { keepalive: true, float: false });
  assert.deepEqual(side('-n keepalive,float'), { keepalive: true, float: true });
  assert.deepEqual(side('-n none'), { keepalive: false, float: false });
  assert.throws(() => parseSetkey(`add 10.0.0.1 10.0.0.2 esp 0x1000 -n float ${k} ;`), /-n needs protocol esp-udp/);
  assert.throws(() => parseSetkey(`add 10.0.0.1 10.0.0.2 esp-udp 0x1000 -n floaty ${k} ;`), /-n takes keepalive/);
  assert.throws(() => parseSetkey(`add 10.0.0.1 10.0.0.2 esp-udp 0x1000 -n none,float ${k} ;`), /-n takes keepalive/);
  assert.throws(() => parseSetkey(`add 10.0.0.1 10.0.0.2 esp-udp 0x1000 -n float,float ${k} ;`), /-n takes keepalive/);
  assert.throws(() => parseSetkey(`add 10.0.0.1 10.0.0.2 esp-udp 0x1000 -n float -n none ${k} ;`), /duplicate -n/);
});
