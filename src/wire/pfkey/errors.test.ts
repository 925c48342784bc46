/**
 * Malformed PF_KEY input: each case is hand-built hex that breaks one rule of RFC 2367 §2 or
 * of the header layouts, and must fail with the named WireError code, path and offset.
 * Also: encoder refusals, indexExtensions duplicates, stream framing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WireError } from '../../util/errors.js';
import { fromHex } from '../../util/hex.js';
import { decodePfkeyMessage } from './decode.js';
import { encodePfkeyMessage } from './encode.js';
import { indexExtensions } from './ext-index.js';
import { splitPfkeyStream } from './stream.js';
import type { PfkeyMessage } from './types.js';

const hx = (s: string) =>
  fromHex(
    s
      .split('\n')
      .map((l) => l.replace(/#.*/, ''))
      .join(' '),
  );

const HDR = (lenWords: string) => `02 02 00 03  ${lenWords} 00 00 00  01 00 00 00  d2 04 00 00`;
const SIN_SRC = '03 00 05 00  ff 20 00 00  02 00 00 00  c0 00 02 01  00 00 00 00 00 00 00 00';

test('header: version, sadb_msg_len vs buffer, reserved', () => {
  assert.throws(() => decodePfkeyMessage(hx('01 02 00 03  02 00 00 00  01 00 00 00  d2 04 00 00'), 'linux'), {
    name: 'WireError',
    code: 'bad-value',
    path: 'msg.version',
    offset: 0,
  });
  assert.throws(() => decodePfkeyMessage(hx(HDR('03')), 'linux'), { code: 'truncated', path: 'msg.len', offset: 4 });
  assert.throws(() => decodePfkeyMessage(hx(`${HDR('02')} 01 00 15 00 11 94 00 00`), 'linux'), {
    code: 'trailing',
    path: 'msg.len',
    offset: 16,
  });
  assert.throws(() => decodePfkeyMessage(hx('02 02 00 03  01 00 00 00'), 'linux'), {
    code: 'bad-value',
    path: 'msg.len',
  });
  assert.throws(() => decodePfkeyMessage(hx('02 02 00 03  02 00 01 00  01 00 00 00  d2 04 00 00'), 'kame'), {
    code: 'bad-value',
    path: 'msg.reserved',
    offset: 6,
  });
  assert.throws(() => decodePfkeyMessage(hx('02 02 00'), 'kame'), { code: 'truncated', path: 'msg.satype', offset: 3 });
});

test('extension header: zero length, overrun, type 0, fixed sizes', () => {
  assert.throws(() => decodePfkeyMessage(hx(`${HDR('03')} 00 00 01 00 00 00 00 00`), 'linux'), {
    code: 'bad-value',
    path: 'msg.ext[0](SA).len',
    offset: 16,
  });
  assert.throws(() => decodePfkeyMessage(hx(`${HDR('03')} 02 00 01 00 12 34 56 78`), 'linux'), {
    code: 'overrun',
    path: 'msg.ext[0](SA).len',
    offset: 16,
  });
  assert.throws(() => decodePfkeyMessage(hx(`${HDR('03')} 01 00 00 00 00 00 00 00`), 'linux'), {
    code: 'bad-value',
    path: 'msg.ext[0](0).type',
    offset: 18,
  });
  // SA with len 3 (24 bytes) instead of 2
  assert.throws(
    () =>
      decodePfkeyMessage(
        hx(`${HDR('05')} 03 00 01 00 12 34 56 78 20 01 05 0c 00 00 00 00 00 00 00 00 00 00 00 00`),
        'linux',
      ),
    { code: 'bad-value', path: 'msg.ext[0](SA).len', offset: 16 },
  );
  // X_NAT_T_SPORT with len 2
  assert.throws(() => decodePfkeyMessage(hx(`${HDR('04')} 02 00 15 00 11 94 00 00 00 00 00 00 00 00 00 00`), 'kame'), {
    code: 'bad-value',
    path: 'msg.ext[0](X_NAT_T_SPORT).len',
  });
});

test('address: prefixlen, family, sockaddr size, KAME sa_len', () => {
  assert.throws(
    () =>
      decodePfkeyMessage(
        hx(`${HDR('08')} ${SIN_SRC} 03 00 06 00 ff 21 00 00 02 00 00 00 c0 00 02 01 00 00 00 00 00 00 00 00`),
        'linux',
      ),
    { code: 'bad-value', path: 'msg.ext[1](ADDRESS_DST).prefixlen', offset: 45 },
  );
  assert.throws(
    () =>
      decodePfkeyMessage(
        hx(`${HDR('05')} 03 00 05 00 ff 20 00 00 07 00 00 00 c0 00 02 01 00 00 00 00 00 00 00 00`),
        'linux',
      ),
    { code: 'unsupported', path: 'msg.ext[0](ADDRESS_SRC).sockaddr.family', offset: 24 },
  );
  // IPv6 sockaddr in an extension sized for IPv4
  assert.throws(
    () =>
      decodePfkeyMessage(
        hx(`${HDR('05')} 03 00 05 00 ff 80 00 00 0a 00 00 00 c0 00 02 01 00 00 00 00 00 00 00 00`),
        'linux',
      ),
    { code: 'bad-value', path: 'msg.ext[0](ADDRESS_SRC).len', offset: 16 },
  );
  // KAME sockaddr_in with sa_len 28
  assert.throws(
    () =>
      decodePfkeyMessage(
        hx(`${HDR('05')} 03 00 05 00 ff 20 00 00 1c 02 00 00 c0 00 02 01 00 00 00 00 00 00 00 00`),
        'kame',
      ),
    { code: 'bad-value', path: 'msg.ext[0](ADDRESS_SRC).sockaddr.len' },
  );
  // a Linux-layout sockaddr read as KAME: sa_len 2, family 0
  assert.throws(() => decodePfkeyMessage(hx(`${HDR('05')} ${SIN_SRC}`), 'kame'), {
    code: 'unsupported',
    path: 'msg.ext[0](ADDRESS_SRC).sockaddr.family',
  });
});

test('key, identity, proposal, sec_ctx lengths', () => {
  // 256-bit key in a 3-word extension
  assert.throws(() => decodePfkeyMessage(hx(`${HDR('05')} 03 00 08 00 00 01 00 00 ${'00'.repeat(16)}`), 'linux'), {
    code: 'bad-value',
    path: 'msg.ext[0](KEY_AUTH).len',
  });
  // identity string without NUL
  assert.throws(
    () =>
      decodePfkeyMessage(
        hx(`${HDR('05')} 03 00 0a 00 02 00 00 00 00 00 00 00 00 00 00 00 61 62 63 64 65 66 67 68`),
        'linux',
      ),
    { code: 'bad-value', path: 'msg.ext[0](IDENTITY_SRC).string' },
  );
  // proposal with 8 bytes of sadb_comb
  assert.throws(() => decodePfkeyMessage(hx(`${HDR('04')} 02 00 0d 00 20 00 00 00 ${'00'.repeat(8)}`), 'linux'), {
    code: 'bad-value',
    path: 'msg.ext[0](PROPOSAL).len',
  });
  // sec_ctx claiming 20 bytes in a 2-word extension
  assert.throws(() => decodePfkeyMessage(hx(`${HDR('04')} 02 00 18 00 01 01 14 00 ${'61'.repeat(8)}`), 'linux'), {
    code: 'bad-value',
    path: 'msg.ext[0](X_SEC_CTX).len',
  });
});

test('ipsecrequest: length in bytes, overrun, trailing, tunnel padding', () => {
  const pol = (words: string, body: string) =>
    hx(`${HDR(words)} 00 00 12 00 02 00 02 00 00 00 00 00 00 00 00 00 ${body}`);
  const fix = (b: Uint8Array) => {
    b[16] = (b.length - 16) / 8;
    return b;
  };
  // len given in 64-bit words (2) instead of bytes (16): Linux-style mistake
  assert.throws(() => decodePfkeyMessage(fix(pol('06', '02 00 32 00 02 02 00 00 00 00 00 00 00 00 00 00')), 'linux'), {
    code: 'bad-value',
    path: 'msg.ext[0](X_POLICY).ipsecrequest[0].len',
    offset: 32,
  });
  // second request claims 48 bytes, 16 left
  assert.throws(
    () =>
      decodePfkeyMessage(
        fix(
          pol('08', '10 00 32 00 01 02 00 00 00 00 00 00 00 00 00 00 30 00 32 00 02 02 00 00 00 00 00 00 00 00 00 00'),
        ),
        'linux',
      ),
    { code: 'overrun', path: 'msg.ext[0](X_POLICY).ipsecrequest[1].len', offset: 48 },
  );
  // KAME: 8 bytes after a Linux-sized request are too short for... a KAME request is 8: use linux with 8 left
  assert.throws(
    () =>
      decodePfkeyMessage(
        fix(pol('07', '10 00 32 00 01 02 00 00 00 00 00 00 00 00 00 00 08 00 32 00 01 02 00 00')),
        'linux',
      ),
    { code: 'trailing', path: 'msg.ext[0](X_POLICY).ipsecrequest[1]', offset: 48 },
  );
  // KAME request len 16 holding 8 bytes of junk after the header: not a sockaddr
  assert.throws(() => decodePfkeyMessage(fix(pol('06', '10 00 32 00 02 02 00 00 00 00 00 00 00 00 00 00')), 'kame'), {
    code: 'unsupported',
    path: 'msg.ext[0](X_POLICY).ipsecrequest[0].src.family',
  });
  // request length not a multiple of 8
  assert.throws(() => decodePfkeyMessage(fix(pol('06', '0c 00 32 00 02 02 00 00 00 00 00 00 00 00 00 00')), 'kame'), {
    code: 'bad-value',
    path: 'msg.ext[0](X_POLICY).ipsecrequest[0].len',
  });
});

const base = { version: 2, type: 3, errno: 0, satype: 3, seq: 1, pid: 1 };

test('encoder refuses what the dialect cannot carry', () => {
  const sa = { family: 4 as const, addr: Uint8Array.of(10, 0, 0, 1), port: 0 };
  const oai: PfkeyMessage = { header: base, extensions: [{ ext: 'X_NAT_T_OAI', proto: 0, prefixlen: 32, addr: sa }] };
  assert.throws(() => encodePfkeyMessage(oai, 'linux'), { code: 'unsupported', path: 'msg.ext[0](X_NAT_T_OAI)' });
  const ctx: PfkeyMessage = {
    header: base,
    extensions: [{ ext: 'X_SEC_CTX', ctxAlg: 1, ctxDoi: 1, ctx: new Uint8Array(3) }],
  };
  assert.throws(() => encodePfkeyMessage(ctx, 'kame'), { code: 'unsupported', path: 'msg.ext[0](X_SEC_CTX)' });
  const reqid: PfkeyMessage = {
    header: base,
    extensions: [
      {
        ext: 'X_POLICY',
        policyType: 2,
        dir: 1,
        id: 0,
        priority: 0,
        requests: [{ proto: 50, mode: 1, level: 3, reqid: 0x10000 }],
      },
    ],
  };
  assert.throws(() => encodePfkeyMessage(reqid, 'kame'), {
    code: 'bad-value',
    path: 'msg.ext[0](X_POLICY).ipsecrequest[0].reqid',
  });
  assert.equal(encodePfkeyMessage(reqid, 'linux').length, 16 + 32);
  const key: PfkeyMessage = { header: base, extensions: [{ ext: 'KEY_AUTH', bits: 160, key: new Uint8Array(16) }] };
  assert.throws(() => encodePfkeyMessage(key, 'linux'), { code: 'bad-value', path: 'msg.ext[0](KEY_AUTH).bits' });
  const embedded: PfkeyMessage = { header: base, extensions: [], embedded: new Uint8Array(16) };
  assert.throws(() => encodePfkeyMessage(embedded, 'linux'), { code: 'bad-value', path: 'msg.embedded' });
});

test('indexExtensions keeps the first of each and reports duplicates', () => {
  const m = decodePfkeyMessage(
    hx(`02 02 00 03  07 00 00 00  01 00 00 00  d2 04 00 00
        01 00 15 00  11 94 00 00   # X_NAT_T_SPORT 4500
        01 00 15 00  11 95 00 00   # X_NAT_T_SPORT again
        01 00 63 00  00 00 00 00   # unknown 99
        01 00 16 00  11 94 00 00   # X_NAT_T_DPORT
        01 00 15 00  11 96 00 00   # X_NAT_T_SPORT a third time`),
    'linux',
  );
  const ix = indexExtensions(m);
  assert.deepEqual(ix.byName.X_NAT_T_SPORT, { ext: 'X_NAT_T_SPORT', port: 4500 });
  assert.equal(ix.byName.X_NAT_T_DPORT?.port, 4500);
  assert.equal(ix.byName.SA, undefined);
  assert.deepEqual(ix.duplicates, ['X_NAT_T_SPORT']);
  assert.deepEqual(
    ix.unknown.map((u) => u.type),
    [99],
  );
});

test('splitPfkeyStream: whole, partial, and refused lengths', () => {
  const a = hx('02 09 00 03  02 00 00 00  01 00 00 00  d2 04 00 00');
  const b = hx('02 02 00 03  03 00 00 00  02 00 00 00  d2 04 00 00  01 00 15 00 11 94 00 00');
  const both = new Uint8Array([...a, ...b]);
  const s1 = splitPfkeyStream(both.subarray(0, 30));
  assert.equal(s1.messages.length, 1);
  assert.deepEqual([...(s1.messages[0] ?? [])], [...a]);
  assert.equal(s1.rest.length, 14);
  const s2 = splitPfkeyStream(both);
  assert.deepEqual(
    s2.messages.map((m) => m.length),
    [16, 24],
  );
  assert.equal(s2.rest.length, 0);
  assert.equal(splitPfkeyStream(both.subarray(0, 5)).rest.length, 5);
  assert.throws(() => splitPfkeyStream(hx('02 09 00 03  01 00 00 00')), {
    code: 'bad-value',
    path: 'stream.msg[0].len',
    offset: 4,
  });
  assert.throws(() => splitPfkeyStream(new Uint8Array([...a, ...hx('02 09 00 03  01 20 00 00')])), {
    code: 'bad-value',
    path: 'stream.msg[1].len',
    offset: 20,
  });
  assert.throws(
    () => splitPfkeyStream(hx('02 09 00 03  05 00 00 00'), 32),
    (e: unknown) => e instanceof WireError,
  );
});
