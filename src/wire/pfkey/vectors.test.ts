/**
 * Byte-exact PF_KEY vectors, built by hand from RFC 2367 §2 and the structure layouts in
 * Linux include/uapi/linux/pfkeyv2.h (+ linux/in.h, in6.h sockaddr) and FreeBSD/NetBSD
 * sys/net/pfkeyv2.h (+ BSD sockaddr with sa_len). Host-order fields little-endian; SPI,
 * sockaddr ports/addresses/flowinfo and NAT-T ports big-endian. Message shapes follow
 * racoon/libipsec (GETSPI: SA2, SRC, DST, SPIRANGE; NAT-T order TYPE, SPORT, DPORT, OA, FRAG)
 * and Linux af_key (EXPIRE, ACQUIRE, X_NAT_T_NEW_MAPPING). Each test decodes the hex and
 * checks fields, then encodes the expected record and compares with the hex.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromHex, toHex } from '../../util/hex.js';
import type { PfkeyDialect } from './constants.js';
import { decodePfkeyMessage } from './decode.js';
import { encodePfkeyMessage } from './encode.js';
import type { AddressExt, PfkeyExt, PfkeyMessage, SockAddr } from './types.js';

/** Annotated hex: `#` starts a comment to the end of the line. */
function hx(s: string): Uint8Array {
  return fromHex(
    s
      .split('\n')
      .map((l) => l.replace(/#.*/, ''))
      .join(' '),
  );
}

const v4 = (a: string, port = 0): SockAddr => ({
  family: 4,
  addr: Uint8Array.from(a.split('.').map(Number)),
  port,
});

function check(dialect: PfkeyDialect, hex: string, expected: PfkeyMessage): void {
  const bytes = hx(hex);
  assert.deepEqual(decodePfkeyMessage(bytes, dialect), expected);
  assert.equal(toHex(encodePfkeyMessage(expected, dialect)), toHex(bytes));
}

// --- sadb_address pieces -------------------------------------------------------------------
const SIN = {
  linux: (famPort: string, addr: string) => `${famPort.replace('FAM', '02 00')} ${addr} 00 00 00 00 00 00 00 00`,
  kame: (famPort: string, addr: string) => `${famPort.replace('FAM', '10 02')} ${addr} 00 00 00 00 00 00 00 00`,
};
/** sadb_address (24 bytes) with an AF_INET sockaddr; `famPort` is 'FAM pp pp'. */
function addrExt(d: PfkeyDialect, type: string, protoPrefix: string, famPort: string, addr: string): string {
  return `03 00 ${type} 00  # sadb_address len 3 words, exttype ${type}
          ${protoPrefix} 00 00  # proto, prefixlen, reserved
          ${SIN[d](famPort, addr)}  # sockaddr_in (${d === 'linux' ? 'u16 family' : 'sa_len 16, family 2'}), port, addr, zero`;
}
const addr = (ext: AddressExt['ext'], proto: number, prefixlen: number, a: SockAddr): AddressExt => ({
  ext,
  proto,
  prefixlen,
  addr: a,
});

for (const d of ['linux', 'kame'] as const) {
  test(`${d}: racoon-style GETSPI (X_SA2, ADDRESS_SRC/DST, SPIRANGE)`, () => {
    check(
      d,
      `02 01 00 03  # version 2, SADB_GETSPI, errno 0, SADB_SATYPE_ESP
       0c 00 00 00  # sadb_msg_len 12 words (96 bytes), reserved
       01 00 00 00  # seq 1
       d2 04 00 00  # pid 1234
       02 00 13 00  # X_SA2: len 2, exttype 19
       02 00 00 00  # mode IPSEC_MODE_TUNNEL, reserved1, reserved2
       00 00 00 00  # sequence 0
       01 40 00 00  # reqid 16385
       ${addrExt(d, '05', 'ff 20', 'FAM 00 00', 'c0 00 02 01')}   # 192.0.2.1/32 any
       ${addrExt(d, '06', 'ff 20', 'FAM 00 00', 'c6 33 64 02')}   # 198.51.100.2/32 any
       02 00 10 00  # SPIRANGE: len 2, exttype 16
       00 01 00 00  # min 0x100 (host order)
       ff ff ff 0f  # max 0x0fffffff
       00 00 00 00  # reserved`,
      {
        header: { version: 2, type: 1, errno: 0, satype: 3, seq: 1, pid: 1234 },
        extensions: [
          { ext: 'X_SA2', mode: 2, sequence: 0, reqid: 16385 },
          addr('ADDRESS_SRC', 255, 32, v4('192.0.2.1')),
          addr('ADDRESS_DST', 255, 32, v4('198.51.100.2')),
          { ext: 'SPIRANGE', min: 0x100, max: 0x0fffffff },
        ],
      },
    );
  });

  test(`${d}: UPDATE of an inbound NAT-T SA with keys, lifetimes and NAT-T TYPE/SPORT/DPORT/OA`, () => {
    const oa =
      d === 'linux'
        ? `${addrExt(d, '17', 'ff 20', 'FAM 00 00', '0a 00 00 05')}  # X_NAT_T_OA (23): peer's original address 10.0.0.5`
        : `${addrExt(d, '17', 'ff 20', 'FAM 00 00', '0a 00 00 05')}  # X_NAT_T_OAI (23): NAT-OA of the SA source 10.0.0.5
           ${addrExt(d, '18', 'ff 20', 'FAM 00 00', 'ac 10 00 01')}  # X_NAT_T_OAR (24): NAT-OA of the SA destination 172.16.0.1
           01 00 19 00  # X_NAT_T_FRAG (25): len 1
           78 05 00 00  # fraglen 1400 (host order), reserved`;
    const tail: PfkeyExt[] =
      d === 'linux'
        ? [addr('X_NAT_T_OA', 255, 32, v4('10.0.0.5'))]
        : [
            addr('X_NAT_T_OAI', 255, 32, v4('10.0.0.5')),
            addr('X_NAT_T_OAR', 255, 32, v4('172.16.0.1')),
            { ext: 'X_NAT_T_FRAG', fraglen: 1400 },
          ];
    check(
      d,
      `02 02 00 03  # SADB_UPDATE, ESP
       ${d === 'linux' ? '22' : '26'} 00 00 00  # len 34 (linux) / 38 (kame) words
       02 00 00 00  # seq 2
       d2 04 00 00  # pid 1234
       02 00 01 00  # SA: len 2, exttype 1
       12 34 56 78  # spi 0x12345678 (network order)
       20 01 05 0c  # replay 32, MATURE, auth X_SHA2_256 (5), encrypt AES-CBC (12)
       00 00 00 00  # flags
       04 00 03 00  # LIFETIME_HARD: len 4
       00 00 00 00  # allocations 0
       00 00 00 00 00 00 00 00  # bytes 0
       10 0e 00 00 00 00 00 00  # addtime 3600 s
       00 00 00 00 00 00 00 00  # usetime 0
       04 00 04 00  # LIFETIME_SOFT: len 4
       00 00 00 00
       00 00 00 00 00 00 00 00
       40 0b 00 00 00 00 00 00  # addtime 2880 s
       00 00 00 00 00 00 00 00
       ${addrExt(d, '05', 'ff 20', 'FAM 00 00', 'c6 33 64 02')}  # SRC = peer 198.51.100.2 (inbound SA)
       ${addrExt(d, '06', 'ff 20', 'FAM 00 00', 'c0 00 02 01')}  # DST = us 192.0.2.1
       05 00 08 00  # KEY_AUTH: len 5 words
       00 01 00 00  # bits 256, reserved
       000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
       03 00 09 00  # KEY_ENCRYPT: len 3
       80 00 00 00  # bits 128
       a0a1a2a3a4a5a6a7a8a9aaabacadaeaf
       02 00 13 00  # X_SA2
       02 00 00 00  # tunnel
       00 00 00 00
       01 40 00 00  # reqid 16385
       01 00 14 00  # X_NAT_T_TYPE: len 1, exttype 20
       02 00 00 00  # UDP_ENCAP_ESPINUDP (2)
       01 00 15 00  # X_NAT_T_SPORT: len 1, exttype 21
       ee 48 00 00  # 61000 (network order): the peer's NAT-mapped port = source of inbound packets
       01 00 16 00  # X_NAT_T_DPORT
       11 94 00 00  # 4500: our port
       ${oa}`,
      {
        header: { version: 2, type: 2, errno: 0, satype: 3, seq: 2, pid: 1234 },
        extensions: [
          { ext: 'SA', spi: 0x12345678, replay: 32, state: 1, auth: 5, encrypt: 12, flags: 0 },
          { ext: 'LIFETIME_HARD', allocations: 0, bytes: 0n, addtime: 3600n, usetime: 0n },
          { ext: 'LIFETIME_SOFT', allocations: 0, bytes: 0n, addtime: 2880n, usetime: 0n },
          addr('ADDRESS_SRC', 255, 32, v4('198.51.100.2')),
          addr('ADDRESS_DST', 255, 32, v4('192.0.2.1')),
          { ext: 'KEY_AUTH', bits: 256, key: Uint8Array.from({ length: 32 }, (_, i) => i) },
          { ext: 'KEY_ENCRYPT', bits: 128, key: Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i) },
          { ext: 'X_SA2', mode: 2, sequence: 0, reqid: 16385 },
          { ext: 'X_NAT_T_TYPE', natType: 2 },
          { ext: 'X_NAT_T_SPORT', port: 61000 },
          { ext: 'X_NAT_T_DPORT', port: 4500 },
          ...tail,
        ],
      },
    );
  });

  test(`${d}: EXPIRE (soft) with LIFETIME_CURRENT and LIFETIME_SOFT`, () => {
    check(
      d,
      `02 08 00 03  # SADB_EXPIRE, ESP
       12 00 00 00  # len 18 words
       00 00 00 00  # seq 0
       00 00 00 00  # pid 0 (kernel-originated)
       02 00 01 00  12 34 56 78  20 02 05 0c  00 00 00 00  # SA, state DYING (2)
       04 00 02 00  # LIFETIME_CURRENT
       05 00 00 00  # allocations 5
       00 10 00 00 00 00 00 00  # bytes 4096
       00 f1 53 65 00 00 00 00  # addtime 1700000000
       64 f1 53 65 00 00 00 00  # usetime 1700000100
       04 00 04 00  00 00 00 00  00 00 00 00 00 00 00 00  40 0b 00 00 00 00 00 00  00 00 00 00 00 00 00 00
       ${addrExt(d, '05', 'ff 20', 'FAM 00 00', 'c0 00 02 01')}
       ${addrExt(d, '06', 'ff 20', 'FAM 00 00', 'c6 33 64 02')}`,
      {
        header: { version: 2, type: 8, errno: 0, satype: 3, seq: 0, pid: 0 },
        extensions: [
          { ext: 'SA', spi: 0x12345678, replay: 32, state: 2, auth: 5, encrypt: 12, flags: 0 },
          { ext: 'LIFETIME_CURRENT', allocations: 5, bytes: 4096n, addtime: 1700000000n, usetime: 1700000100n },
          { ext: 'LIFETIME_SOFT', allocations: 0, bytes: 0n, addtime: 2880n, usetime: 0n },
          addr('ADDRESS_SRC', 255, 32, v4('192.0.2.1')),
          addr('ADDRESS_DST', 255, 32, v4('198.51.100.2')),
        ],
      },
    );
  });

  test(`${d}: REGISTER reply with SUPPORTED_AUTH and SUPPORTED_ENCRYPT`, () => {
    check(
      d,
      `02 07 00 03  08 00 00 00  04 00 00 00  d2 04 00 00  # SADB_REGISTER, ESP, len 8, seq 4, pid 1234
       03 00 0e 00  # SUPPORTED_AUTH: len 3, exttype 14
       00 00 00 00  # reserved
       02 00 80 00 80 00 00 00  # sadb_alg: MD5HMAC (2), ivlen 0, minbits 128, maxbits 128
       05 00 00 01 00 01 00 00  # X_SHA2_256 (5), ivlen 0, 256, 256
       03 00 0f 00  # SUPPORTED_ENCRYPT: len 3, exttype 15
       00 00 00 00
       0c 10 80 00 00 01 00 00  # AES-CBC (12), ivlen 16, 128..256
       14 08 a0 00 20 01 00 00  # AES-GCM-16 (20), ivlen 8, 160..288 (key + salt bits)`,
      {
        header: { version: 2, type: 7, errno: 0, satype: 3, seq: 4, pid: 1234 },
        extensions: [
          {
            ext: 'SUPPORTED_AUTH',
            algs: [
              { id: 2, ivlen: 0, minbits: 128, maxbits: 128 },
              { id: 5, ivlen: 0, minbits: 256, maxbits: 256 },
            ],
          },
          {
            ext: 'SUPPORTED_ENCRYPT',
            algs: [
              { id: 12, ivlen: 16, minbits: 128, maxbits: 256 },
              { id: 20, ivlen: 8, minbits: 160, maxbits: 288 },
            ],
          },
        ],
      },
    );
  });

  test(`${d}: ACQUIRE with X_POLICY (no requests) and PROPOSAL/sadb_comb`, () => {
    check(
      d,
      `02 06 00 03  14 00 00 00  42 00 00 00  00 00 00 00  # SADB_ACQUIRE, ESP, len 20, seq 0x42, pid 0
       ${addrExt(d, '05', 'ff 20', 'FAM 00 00', 'c0 00 02 01')}
       ${addrExt(d, '06', 'ff 20', 'FAM 00 00', 'c6 33 64 02')}
       02 00 12 00  # X_POLICY: len 2, exttype 18
       02 00 02 00  # type IPSEC (u16), dir OUTBOUND, reserved
       09 01 00 00  # id 0x109
       00 00 00 00  # priority (linux) / reserved2 (kame)
       0a 00 0d 00  # PROPOSAL: len 10 words (8 + 72)
       20 00 00 00  # replay 32, reserved[3]
       05 0c 00 00  # comb: auth 5, encrypt 12, flags 0
       00 01 00 01  # auth_minbits 256, auth_maxbits 256
       80 00 00 01  # encrypt_minbits 128, encrypt_maxbits 256
       00 00 00 00  # reserved
       00 00 00 00  # soft_allocations
       00 00 00 00  # hard_allocations
       00 00 00 00 00 00 00 00  # soft_bytes
       00 00 00 00 00 00 00 00  # hard_bytes
       40 0b 00 00 00 00 00 00  # soft_addtime 2880
       10 0e 00 00 00 00 00 00  # hard_addtime 3600
       00 00 00 00 00 00 00 00  # soft_usetime
       00 00 00 00 00 00 00 00  # hard_usetime`,
      {
        header: { version: 2, type: 6, errno: 0, satype: 3, seq: 0x42, pid: 0 },
        extensions: [
          addr('ADDRESS_SRC', 255, 32, v4('192.0.2.1')),
          addr('ADDRESS_DST', 255, 32, v4('198.51.100.2')),
          { ext: 'X_POLICY', policyType: 2, dir: 2, id: 0x109, priority: 0, requests: [] },
          {
            ext: 'PROPOSAL',
            replay: 32,
            combs: [
              {
                auth: 5,
                encrypt: 12,
                flags: 0,
                authMinbits: 256,
                authMaxbits: 256,
                encryptMinbits: 128,
                encryptMaxbits: 256,
                softAllocations: 0,
                hardAllocations: 0,
                softBytes: 0n,
                hardBytes: 0n,
                softAddtime: 2880n,
                hardAddtime: 3600n,
                softUsetime: 0n,
                hardUsetime: 0n,
              },
            ],
          },
        ],
      },
    );
  });

  test(`${d}: X_NAT_T_NEW_MAPPING (SA, ADDRESS_SRC + SPORT, ADDRESS_DST + DPORT)`, () => {
    check(
      d,
      `02 17 00 03  0c 00 00 00  00 00 00 00  00 00 00 00  # SADB_X_NAT_T_NEW_MAPPING (23), ESP, len 12
       02 00 01 00  12 34 56 78  00 00 00 00  00 00 00 00  # SA 0x12345678
       ${addrExt(d, '05', '00 20', 'FAM 11 95', 'cb 00 71 09')}  # new peer address 203.0.113.9 port 4501
       01 00 15 00  11 95 00 00  # X_NAT_T_SPORT 4501
       ${addrExt(d, '06', '00 20', 'FAM 11 94', 'c0 00 02 01')}  # 192.0.2.1 port 4500
       01 00 16 00  11 94 00 00  # X_NAT_T_DPORT 4500`,
      {
        header: { version: 2, type: 23, errno: 0, satype: 3, seq: 0, pid: 0 },
        extensions: [
          { ext: 'SA', spi: 0x12345678, replay: 0, state: 0, auth: 0, encrypt: 0, flags: 0 },
          addr('ADDRESS_SRC', 0, 32, v4('203.0.113.9', 4501)),
          { ext: 'X_NAT_T_SPORT', port: 4501 },
          addr('ADDRESS_DST', 0, 32, v4('192.0.2.1', 4500)),
          { ext: 'X_NAT_T_DPORT', port: 4500 },
        ],
      },
    );
  });

  test(`${d}: X_PROMISC on (header only) and wrapping a whole message`, () => {
    check(d, '02 0b 00 01  02 00 00 00  05 00 00 00  d2 04 00 00  # X_PROMISC, satype 1 = enable', {
      header: { version: 2, type: 11, errno: 0, satype: 1, seq: 5, pid: 1234 },
      extensions: [],
    });
    const wrapped = `02 0b 00 00  04 00 00 00  00 00 00 00  00 00 00 00  # X_PROMISC, len 4 words
                     02 09 00 03  02 00 00 00  06 00 00 00  d2 04 00 00  # embedded SADB_FLUSH, ESP, seq 6`;
    check(d, wrapped, {
      header: { version: 2, type: 11, errno: 0, satype: 0, seq: 0, pid: 0 },
      extensions: [],
      embedded: hx('02 09 00 03  02 00 00 00  06 00 00 00  d2 04 00 00'),
    });
    const inner = decodePfkeyMessage(decodePfkeyMessage(hx(wrapped), d).embedded ?? new Uint8Array(), d);
    assert.deepEqual(inner.header, { version: 2, type: 9, errno: 0, satype: 3, seq: 6, pid: 1234 });
  });

  test(`${d}: error replies and header-only requests`, () => {
    // Linux pfkey_error: the request header echoed with sadb_msg_errno set, len 2.
    check(d, '02 03 11 03  02 00 00 00  07 00 00 00  d2 04 00 00  # ADD failed: EEXIST (17 in both)', {
      header: { version: 2, type: 3, errno: 17, satype: 3, seq: 7, pid: 1234 },
      extensions: [],
    });
    const enobufs = d === 'linux' ? '69' : '37'; // ENOBUFS 105 (linux) / 55 (BSD)
    check(d, `02 01 ${enobufs} 03  02 00 00 00  08 00 00 00  d2 04 00 00  # GETSPI failed: ENOBUFS`, {
      header: { version: 2, type: 1, errno: d === 'linux' ? 105 : 55, satype: 3, seq: 8, pid: 1234 },
      extensions: [],
    });
    // REGISTER 7, FLUSH 9, DUMP 10, X_SPDDUMP 18, X_SPDFLUSH 19: requests are sadb_msg alone.
    for (const [type, satype] of [
      [7, 3],
      [9, 0],
      [10, 3],
      [18, 0],
      [19, 0],
    ] as const) {
      const t = type.toString(16).padStart(2, '0');
      check(d, `02 ${t} 00 0${satype}  02 00 00 00  01 00 00 00  d2 04 00 00`, {
        header: { version: 2, type, errno: 0, satype, seq: 1, pid: 1234 },
        extensions: [],
      });
    }
  });
}

test('linux: X_SPDADD with a tunnel ipsecrequest (16-byte request, u16 sockaddr family)', () => {
  check(
    'linux',
    `02 0e 00 00  10 00 00 00  03 00 00 00  d2 04 00 00  # SADB_X_SPDADD, UNSPEC, len 16 words
     03 00 05 00  ff 10 00 00  02 00 00 00  0a 01 00 00  00 00 00 00 00 00 00 00  # SRC selector 10.1.0.0/16 any
     03 00 06 00  ff 10 00 00  02 00 00 00  0a 02 00 00  00 00 00 00 00 00 00 00  # DST selector 10.2.0.0/16 any
     08 00 12 00  # X_POLICY: len 8 words (16 + 48)
     02 00 02 00  # IPSEC_POLICY_IPSEC, IPSEC_DIR_OUTBOUND
     00 00 00 00  # id 0
     00 00 00 00  # priority 0
     30 00 32 00  # ipsecrequest len 48 BYTES, proto 50 (ESP)
     02 02 00 00  # mode TUNNEL, level REQUIRE, reserved1
     00 00 00 00  # reqid 0 (u32)
     00 00 00 00  # reserved2
     02 00 00 00  c0 00 02 01  00 00 00 00 00 00 00 00  # tunnel src 192.0.2.1
     02 00 00 00  c6 33 64 02  00 00 00 00 00 00 00 00  # tunnel dst 198.51.100.2`,
    {
      header: { version: 2, type: 14, errno: 0, satype: 0, seq: 3, pid: 1234 },
      extensions: [
        addr('ADDRESS_SRC', 255, 16, v4('10.1.0.0')),
        addr('ADDRESS_DST', 255, 16, v4('10.2.0.0')),
        {
          ext: 'X_POLICY',
          policyType: 2,
          dir: 2,
          id: 0,
          priority: 0,
          requests: [
            { proto: 50, mode: 2, level: 2, reqid: 0, tunnel: { src: v4('192.0.2.1'), dst: v4('198.51.100.2') } },
          ],
        },
      ],
    },
  );
});

test('kame: X_SPDADD with a tunnel ipsecrequest (8-byte request, sa_len + u8 family)', () => {
  check(
    'kame',
    `02 0e 00 00  0f 00 00 00  03 00 00 00  d2 04 00 00  # SADB_X_SPDADD, len 15 words
     03 00 05 00  ff 10 00 00  10 02 00 00  0a 01 00 00  00 00 00 00 00 00 00 00  # 10.1.0.0/16
     03 00 06 00  ff 10 00 00  10 02 00 00  0a 02 00 00  00 00 00 00 00 00 00 00  # 10.2.0.0/16
     07 00 12 00  # X_POLICY: len 7 words (16 + 40)
     02 00 02 00  00 00 00 00  00 00 00 00  # IPSEC, OUTBOUND, id 0, reserved2 0
     28 00 32 00  # ipsecrequest len 40 BYTES, proto ESP
     02 02 00 00  # mode TUNNEL, level REQUIRE, reqid 0 (u16)
     10 02 00 00  c0 00 02 01  00 00 00 00 00 00 00 00  # src sockaddr_in (sa_len 16)
     10 02 00 00  c6 33 64 02  00 00 00 00 00 00 00 00  # dst`,
    {
      header: { version: 2, type: 14, errno: 0, satype: 0, seq: 3, pid: 1234 },
      extensions: [
        addr('ADDRESS_SRC', 255, 16, v4('10.1.0.0')),
        addr('ADDRESS_DST', 255, 16, v4('10.2.0.0')),
        {
          ext: 'X_POLICY',
          policyType: 2,
          dir: 2,
          id: 0,
          priority: 0,
          requests: [
            { proto: 50, mode: 2, level: 2, reqid: 0, tunnel: { src: v4('192.0.2.1'), dst: v4('198.51.100.2') } },
          ],
        },
      ],
    },
  );
});

const v6src: SockAddr = {
  family: 6,
  addr: fromHex('20010db8000000000000000000000001'),
  port: 500,
  flowinfo: 0,
  scopeId: 0,
};
const v6dst: SockAddr = {
  family: 6,
  addr: fromHex('fe800000000000000000000000000002'),
  port: 500,
  flowinfo: 0,
  scopeId: 3,
};

test('linux: X_SPDADD IPv6 transport, UNIQUE reqid 5, priority (sockaddr_in6 family 10)', () => {
  check(
    'linux',
    `02 0e 00 00  10 00 00 00  04 00 00 00  d2 04 00 00  # X_SPDADD, len 16
     05 00 05 00  11 80 00 00  # SRC: len 5 words (8 + 28 + 4 pad), proto UDP 17, prefixlen 128
     0a 00 01 f4  00 00 00 00  # AF_INET6 (10, u16 host), port 500, flowinfo 0
     20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01  # 2001:db8::1
     00 00 00 00  00 00 00 00  # scope_id 0, padding
     05 00 06 00  11 80 00 00  0a 00 01 f4  00 00 00 00
     fe 80 00 00 00 00 00 00 00 00 00 00 00 00 00 02  # fe80::2
     03 00 00 00  00 00 00 00  # scope_id 3 (host order), padding
     04 00 12 00  02 00 01 00  00 00 00 00  # X_POLICY len 4, IPSEC, INBOUND, id 0
     00 ff ff 7f  # priority 0x7fffff00
     10 00 32 00  01 03 00 00  05 00 00 00  00 00 00 00  # request len 16, ESP, TRANSPORT, UNIQUE, reqid 5`,
    {
      header: { version: 2, type: 14, errno: 0, satype: 0, seq: 4, pid: 1234 },
      extensions: [
        addr('ADDRESS_SRC', 17, 128, v6src),
        addr('ADDRESS_DST', 17, 128, v6dst),
        {
          ext: 'X_POLICY',
          policyType: 2,
          dir: 1,
          id: 0,
          priority: 0x7fffff00,
          requests: [{ proto: 50, mode: 1, level: 3, reqid: 5 }],
        },
      ],
    },
  );
});

test('kame: X_SPDADD IPv6 transport (sockaddr_in6 sa_len 28, AF_INET6 28)', () => {
  check(
    'kame',
    `02 0e 00 00  0f 00 00 00  04 00 00 00  d2 04 00 00  # len 15
     05 00 05 00  11 80 00 00  1c 1c 01 f4  00 00 00 00  # sa_len 28, AF_INET6 28, port 500
     20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01  00 00 00 00  00 00 00 00
     05 00 06 00  11 80 00 00  1c 1c 01 f4  00 00 00 00
     fe 80 00 00 00 00 00 00 00 00 00 00 00 00 00 02  03 00 00 00  00 00 00 00
     03 00 12 00  02 00 01 00  00 00 00 00  00 00 00 00  # X_POLICY len 3
     08 00 32 00  01 03 05 00  # request len 8, ESP, TRANSPORT, UNIQUE, reqid 5 (u16)`,
    {
      header: { version: 2, type: 14, errno: 0, satype: 0, seq: 4, pid: 1234 },
      extensions: [
        addr('ADDRESS_SRC', 17, 128, v6src),
        addr('ADDRESS_DST', 17, 128, v6dst),
        {
          ext: 'X_POLICY',
          policyType: 2,
          dir: 1,
          id: 0,
          priority: 0,
          requests: [{ proto: 50, mode: 1, level: 3, reqid: 5 }],
        },
      ],
    },
  );
});

for (const d of ['linux', 'kame'] as const) {
  test(`${d}: ADD with IDENTITY, SENSITIVITY, ADDRESS_PROXY, X_KMPRIVATE, ${d === 'linux' ? 'X_SEC_CTX, ' : ''}unknown ext`, () => {
    const secCtx =
      d === 'linux'
        ? '02 00 18 00  01 01 05 00  61 62 63 64 65 00 00 00  # X_SEC_CTX (24): alg 1, doi 1, len 5, "abcde"'
        : '';
    const exts: PfkeyExt[] = [
      { ext: 'IDENTITY_SRC', identType: 2, id: 0n, text: 'vpn.example' },
      { ext: 'IDENTITY_DST', identType: 3, id: 7n, text: '' },
      {
        ext: 'SENSITIVITY',
        dpd: 1,
        sensLevel: 2,
        integLevel: 3,
        sensBitmap: [1n],
        integBitmap: [0x8000000000000000n],
      },
      addr('ADDRESS_PROXY', 6, 24, v4('10.9.0.0')),
      { ext: 'X_KMPRIVATE', data: new Uint8Array() },
      ...(d === 'linux' ? [{ ext: 'X_SEC_CTX', ctxAlg: 1, ctxDoi: 1, ctx: fromHex('6162636465') } as const] : []),
      { ext: 'UNKNOWN', type: 99, body: fromHex('deadbeef') },
    ];
    check(
      d,
      `02 03 00 03  ${d === 'linux' ? '13' : '11'} 00 00 00  09 00 00 00  d2 04 00 00  # SADB_ADD, len 19 / 17
       04 00 0a 00  # IDENTITY_SRC: len 4
       02 00 00 00  # type FQDN (2), reserved
       00 00 00 00 00 00 00 00  # id 0
       76 70 6e 2e 65 78 61 6d 70 6c 65 00  00 00 00 00  # "vpn.example" NUL, padding
       02 00 0b 00  03 00 00 00  07 00 00 00 00 00 00 00  # IDENTITY_DST: USERFQDN, id 7, no string
       04 00 0c 00  # SENSITIVITY: len 4
       01 00 00 00  # dpd 1
       02 01 03 01  # sens_level 2, sens_len 1, integ_level 3, integ_len 1
       00 00 00 00  # reserved
       01 00 00 00 00 00 00 00  # sens bitmap 1
       00 00 00 00 00 00 00 80  # integ bitmap 1 << 63
       ${addrExt(d, '07', '06 18', 'FAM 00 00', '0a 09 00 00')}  # PROXY 10.9.0.0/24 TCP
       01 00 11 00  00 00 00 00  # X_KMPRIVATE: len 1, reserved
       ${secCtx}
       01 00 63 00  de ad be ef  # unknown exttype 99 kept as bytes`,
      { header: { version: 2, type: 3, errno: 0, satype: 3, seq: 9, pid: 1234 }, extensions: exts },
    );
  });
}
