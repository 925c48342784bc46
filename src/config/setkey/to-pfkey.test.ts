/**
 * setkey commands -> PF_KEY bytes, compared with hand-built annotated hex. Layouts: RFC 2367
 * §2, Linux include/uapi/linux/pfkeyv2.h + linux/in.h sockaddr_in, FreeBSD sys/net/pfkeyv2.h +
 * BSD sockaddr_in (sa_len); extension order and field values of ipsec-tools setkey parse.y
 * setkeymsg_add (KEY_ENCRYPT, KEY_AUTH, LIFETIME_HARD/SOFT, SA with state 0 and flags
 * SADB_X_EXT_CYCSEQ 0x40, X_SA2, X_NAT_T_TYPE, [OA], ADDRESS_SRC/DST, X_NAT_T_SPORT/DPORT),
 * setkeymsg_addr and setkeymsg_spdaddr (X_POLICY, ADDRESS_SRC, ADDRESS_DST). Host order is
 * little-endian; SPI, sockaddr port/address and NAT-T ports big-endian.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromHex, toHex } from '../../util/hex.js';
import {
  decodePfkeyMessage,
  encodePfkeyMessage,
  type PfkeyDialect,
  type PfkeyMessage,
} from '../../wire/pfkey/index.js';
import { parseSetkey } from './parser.js';
import { setkeyToPfkey } from './to-pfkey.js';

function hx(s: string): string {
  return toHex(
    fromHex(
      s
        .split('\n')
        .map((l) => l.replace(/#.*/, ''))
        .join(' '),
    ),
  );
}

const IDS = { seq: 1, pid: 0x1092 };

function one(line: string, dialect: PfkeyDialect): PfkeyMessage {
  const [c] = parseSetkey(line);
  assert.ok(c);
  const m = setkeyToPfkey(c, dialect, IDS);
  assert.ok(m);
  return m;
}

const bytesOf = (line: string, dialect: PfkeyDialect) => toHex(encodePfkeyMessage(one(line, dialect), dialect));

const NATT_ADD =
  'add 10.0.1.2[4500] 20.0.0.2[4500] esp-udp 0x10001 -m tunnel -u 1 -E aes-gcm-16 0x000102030405060708090a0b0c0d0e0f10111213 ;';

test('add esp-udp (RFC 3948) aes-gcm-16, linux: setkeymsg_add order and values', () => {
  assert.equal(
    bytesOf(NATT_ADD, 'linux'),
    hx(`
      02 03 00 03  1300 0000  01000000  92100000   # v2 ADD errno 0 satype ESP, len 19 words, seq 1, pid 4242
      0400 0900  a000 0000                         # KEY_ENCRYPT, 4 words, 160 bits
      00010203 04050607 08090a0b 0c0d0e0f 10111213 00000000   # key + pad to 8
      0200 0100  00010001  00 00 00 14  40000200   # SA: spi 0x10001 (net), replay 0, state 0, auth 0, encrypt 20 (AES-GCM-16), flags CYCSEQ 0x40 | esprit NAT float 0x00020000 (esp-udp default; ipsec-tools sends 0x40)
      0200 1300  02 00 0000  00000000  01000000    # X_SA2: mode tunnel, sequence 0, reqid 1
      0100 1400  02 000000                         # X_NAT_T_TYPE: UDP_ENCAP_ESPINUDP
      0300 0500  ff 20 0000  0200 1194 0a000102 0000000000000000   # ADDRESS_SRC any/32, AF_INET, port 4500, 10.0.1.2
      0300 0600  ff 20 0000  0200 1194 14000002 0000000000000000   # ADDRESS_DST 20.0.0.2[4500]
      0100 1500  1194 0000                         # X_NAT_T_SPORT 4500
      0100 1600  1194 0000                         # X_NAT_T_DPORT 4500
    `),
  );
});

test('add esp-udp, kame: BSD sockaddr (sa_len 16, family 2), same numbers', () => {
  assert.equal(
    bytesOf(NATT_ADD, 'kame'),
    hx(`
      02 03 00 03  1300 0000  01000000  92100000
      0400 0900  a000 0000  00010203 04050607 08090a0b 0c0d0e0f 10111213 00000000
      0200 0100  00010001  00 00 00 14  40000200   # flags CYCSEQ | esprit float
      0200 1300  02 00 0000  00000000  01000000
      0100 1400  02 000000
      0300 0500  ff 20 0000  10 02 1194 0a000102 0000000000000000
      0300 0600  ff 20 0000  10 02 1194 14000002 0000000000000000
      0100 1500  1194 0000
      0100 1600  1194 0000
    `),
  );
});

test('add esp aes-cbc + hmac-sha1 transport with lifetimes, replay, random-pad', () => {
  const line =
    'add 192.168.0.1 192.168.0.2 esp 0x1000 -m transport -r 32 -f random-pad -lh 3600 -ls 2880 -bh 100000 ' +
    '-E aes-cbc 0x00112233445566778899aabbccddeeff -A hmac-sha1 0x0102030405060708090a0b0c0d0e0f1011121314 ;';
  assert.equal(
    bytesOf(line, 'linux'),
    hx(`
      02 03 00 03  1b00 0000  01000000  92100000   # ADD ESP, 27 words
      0300 0900  8000 0000  00112233 44556677 8899aabb ccddeeff           # KEY_ENCRYPT 128 bits
      0400 0800  a000 0000  01020304 05060708 090a0b0c 0d0e0f10 11121314 00000000   # KEY_AUTH 160 bits
      0400 0300  00000000  a086010000000000  100e000000000000  0000000000000000   # LIFETIME_HARD: alloc 0, bytes 100000, addtime 3600, usetime 0
      0400 0400  00000000  0000000000000000  400b000000000000  0000000000000000   # LIFETIME_SOFT: addtime 2880
      0200 0100  00001000  20 00 03 0c  40010000   # SA: spi 0x1000, replay 32, auth 3 (HMAC-SHA1), encrypt 12 (AES-CBC), flags CYCSEQ|PRAND
      0200 1300  01 00 0000  00000000  00000000    # X_SA2 transport, reqid 0
      0300 0500  ff 20 0000  0200 0000 c0a80001 0000000000000000
      0300 0600  ff 20 0000  0200 0000 c0a80002 0000000000000000
    `),
  );
});

test('add esp-udp cisco-udp with -o NAT-OA: kame OAI/OAR, linux one X_NAT_T_OA (the source)', () => {
  const line =
    'add 10.0.0.1[4500] 10.0.0.2[10000] esp-udp 0x2000 -e cisco-udp -o 172.16.0.1 172.16.0.2 ' +
    '-E aes-gcm-16 0x000102030405060708090a0b0c0d0e0f10111213 ;';
  const kame = one(line, 'kame').extensions;
  assert.deepEqual(
    kame.map((e) => e.ext),
    [
      'KEY_ENCRYPT',
      'SA',
      'X_SA2',
      'X_NAT_T_TYPE',
      'X_NAT_T_OAI',
      'X_NAT_T_OAR',
      'ADDRESS_SRC',
      'ADDRESS_DST',
      'X_NAT_T_SPORT',
      'X_NAT_T_DPORT',
    ],
  );
  // esprit private X_NAT_T_TYPE 0xf0 = Cisco UDP (src/pfkey/private-values.ts)
  assert.equal(toHex(encodePfkeyMessage(one(line, 'kame'), 'kame')).slice(2 * 80, 2 * 88), hx('0100 1400 f0 000000'));
  const linux = one(line, 'linux').extensions;
  assert.deepEqual(
    linux.filter((e) => e.ext.startsWith('X_NAT_T')).map((e) => e.ext),
    ['X_NAT_T_TYPE', 'X_NAT_T_OA', 'X_NAT_T_SPORT', 'X_NAT_T_DPORT'],
  );
  const oa = linux.find((e) => e.ext === 'X_NAT_T_OA');
  assert.ok(oa && 'addr' in oa);
  assert.equal(toHex(oa.addr.addr), 'ac100001');
  const dport = linux.find((e) => e.ext === 'X_NAT_T_DPORT');
  assert.deepEqual(dport, { ext: 'X_NAT_T_DPORT', port: 10000 });
});

test('get / delete: SA (flags CYCSEQ), X_SA2 any, addresses; esp-udp ports add X_NAT_T_SPORT/DPORT', () => {
  assert.equal(
    bytesOf('delete 10.0.0.1 10.0.0.2 esp 0x1000 ;', 'linux'),
    hx(`
      02 04 00 03  0c00 0000  01000000  92100000   # DELETE ESP, 12 words
      0200 0100  00001000  00 00 00 00  40000000
      0200 1300  00 00 0000  00000000  00000000
      0300 0500  ff 20 0000  0200 0000 0a000001 0000000000000000
      0300 0600  ff 20 0000  0200 0000 0a000002 0000000000000000
    `),
  );
  const g = one('get 10.0.0.1[4500] 10.0.0.2[61000] esp-udp 0x1000 ;', 'kame');
  assert.equal(g.header.type, 5);
  assert.deepEqual(g.extensions.slice(4), [
    { ext: 'X_NAT_T_SPORT', port: 4500 },
    { ext: 'X_NAT_T_DPORT', port: 61000 },
  ]);
});

test('spdadd tunnel unique:1, kame: 8-byte ipsecrequest with u16 reqid and BSD sockaddrs', () => {
  assert.equal(
    bytesOf('spdadd 10.0.1.0/24 10.0.2.0/24 any -P out ipsec esp/tunnel/10.0.1.2-20.0.0.2/unique:1 ;', 'kame'),
    hx(`
      02 0e 00 00  0f00 0000  01000000  92100000   # X_SPDADD satype UNSPEC, 15 words
      0700 1200  0200 02 00  00000000  00000000    # X_POLICY 7 words: type IPSEC, dir OUTBOUND, id 0, priority 0
      2800 3200 02 03 0100                         # ipsecrequest: 40 bytes, proto 50 (ESP), tunnel, unique, reqid 1
      10 02 0000 0a000102 0000000000000000         #   tunnel src 10.0.1.2
      10 02 0000 14000002 0000000000000000         #   tunnel dst 20.0.0.2
      0300 0500  ff 18 0000  10 02 0000 0a000100 0000000000000000   # ADDRESS_SRC proto any /24
      0300 0600  ff 18 0000  10 02 0000 0a000200 0000000000000000
    `),
  );
});

test('spdadd, linux: 16-byte ipsecrequest with u32 reqid', () => {
  assert.equal(
    bytesOf('spdadd 10.0.1.0/24 10.0.2.0/24 any -P out ipsec esp/tunnel/10.0.1.2-20.0.0.2/unique:1 ;', 'linux'),
    hx(`
      02 0e 00 00  1000 0000  01000000  92100000   # 16 words
      0800 1200  0200 02 00  00000000  00000000
      3000 3200 02 03 0000  01000000  00000000     # 48 bytes, ESP, tunnel, unique, reserved1, reqid 1, reserved2
      0200 0000 0a000102 0000000000000000
      0200 0000 14000002 0000000000000000
      0300 0500  ff 18 0000  0200 0000 0a000100 0000000000000000
      0300 0600  ff 18 0000  0200 0000 0a000200 0000000000000000
    `),
  );
});

test('spdadd icmp 8,0 with priority: type/code in the selector ports, priority = 0x40000000 - 5', () => {
  const m = one('spdadd 10.0.1.0/24 10.0.2.0/24 icmp 8,0 -P in prio high + 5 none ;', 'linux');
  assert.equal(
    toHex(encodePfkeyMessage(m, 'linux')),
    hx(`
      02 0e 00 00  0a00 0000  01000000  92100000   # 10 words
      0200 1200  0100 01 00  00000000  fbffff3f    # type NONE, dir INBOUND, priority 0x3ffffffb
      0300 0500  01 18 0000  0200 0008 0a000100 0000000000000000   # proto 1 (ICMP), port = type 8
      0300 0600  01 18 0000  0200 0000 0a000200 0000000000000000   # port = code 0
    `),
  );
});

test('spddelete -P out: X_POLICY with type 0 ("ignored by kernel") and the direction', () => {
  const m = one('spddelete 10.0.1.0/24 10.0.2.0/24 any -P out ;', 'linux');
  assert.equal(m.header.type, 15);
  assert.deepEqual(m.extensions[0], { ext: 'X_POLICY', policyType: 0, dir: 2, id: 0, priority: 0, requests: [] });
});

test('flush / dump / spdflush / spddump are header-only with the satype; deleteall has no single message', () => {
  const cases: [string, string][] = [
    ['flush ;', '02 09 00 00 0200 0000 01000000 92100000'],
    ['flush esp ;', '02 09 00 03 0200 0000 01000000 92100000'],
    ['dump ah ;', '02 0a 00 02 0200 0000 01000000 92100000'],
    ['spdflush ;', '02 13 00 00 0200 0000 01000000 92100000'],
    ['spddump ;', '02 12 00 00 0200 0000 01000000 92100000'],
  ];
  for (const [line, hex] of cases) assert.equal(bytesOf(line, 'kame'), hx(hex), line);
  const [c] = parseSetkey('deleteall 10.0.0.1 10.0.0.2 esp ;');
  assert.ok(c);
  assert.equal(setkeyToPfkey(c, 'linux', IDS), undefined);
});

test('every message decodes back in its dialect (the server sees what was meant)', () => {
  const script = `${NATT_ADD}
    add 2001:db8::1 2001:db8::2 esp 0x3000 -E null -A hmac-sha256 0x${'11'.repeat(32)} ;
    spdadd 2001:db8:1::/48 2001:db8:2::/48 tcp -P fwd ipsec esp/transport//require ;`;
  for (const dialect of ['linux', 'kame'] as const) {
    for (const c of parseSetkey(script)) {
      const m = setkeyToPfkey(c, dialect, IDS);
      assert.ok(m);
      assert.deepEqual(decodePfkeyMessage(encodePfkeyMessage(m, dialect), dialect), m);
    }
  }
});

test('esprit -n: sadb_sa_flags bits 0x00010000 keepalive, 0x00020000 float (host order), -n none clears both', () => {
  const base = 'add 10.0.1.2[4500] 20.0.0.2[4500] esp-udp 0x10001 -m tunnel -u 1';
  const key = '-E aes-gcm-16 0x000102030405060708090a0b0c0d0e0f10111213 ;';
  // SA extension: 0200 0100 | spi 00010001 | replay 00 state 00 auth 00 encrypt 14 | flags (LE)
  const saExt = (line: string) => bytesOf(line, 'linux').slice(2 * (16 + 32), 2 * (16 + 32 + 16));
  assert.equal(saExt(`${base} -n keepalive,float ${key}`), hx('0200 0100  00010001  00 00 00 14  40000300'));
  assert.equal(saExt(`${base} -n float,keepalive ${key}`), hx('0200 0100  00010001  00 00 00 14  40000300'));
  assert.equal(saExt(`${base} -n keepalive ${key}`), hx('0200 0100  00010001  00 00 00 14  40000100'));
  assert.equal(saExt(`${base} -n float ${key}`), hx('0200 0100  00010001  00 00 00 14  40000200'));
  assert.equal(saExt(`${base} -n none ${key}`), hx('0200 0100  00010001  00 00 00 14  40000000'));
});
