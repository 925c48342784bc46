import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ENCR, type EncrAlgorithm, INTEG, type IntegAlgorithm } from '../../crypto/suites.js';
import { ConfigError } from '../../util/errors.js';
import { type IpAddr, ipFromBytes } from '../../util/ip-addr.js';
import { formatSetkeyCommand, formatSetkeyScript } from './format.js';
import { parseSetkey } from './parser.js';
import type { AddCommand, IpsecRequest, Policy, SaEndpoint, Selector, SetkeyCommand, SpdCommand } from './types.js';

/**
 * Commands without the source line, which a reformatted script does not keep;
 * structuredClone turns fast-check's null-prototype records into plain objects.
 */
function strip(cmds: SetkeyCommand[]): unknown[] {
  return structuredClone(cmds.map(({ line: _line, ...rest }) => rest));
}

function reparse(cmds: SetkeyCommand[]): SetkeyCommand[] {
  return parseSetkey(formatSetkeyScript(cmds), 'regenerated.conf');
}

test('formatSetkeyCommand: exact text for an esp-udp SA and a tunnel policy', () => {
  const cf = `add 10.0.0.1[4500] 10.0.0.2[4500] esp-udp 0x1000 -m tunnel -u 5 -lh 3600 -ls 2880
    -e udp-encaps-00 -o 192.168.1.10 any -E aes-gcm-16 0x000102030405060708090a0b0c0d0e0f10111213 ;
spdadd 10.1.0.0/16 10.2.0.0/16 any -P out priority 10 ipsec esp/tunnel/10.0.0.1[4500]-10.0.0.2[4500]/unique:5 ;
spddelete 10.1.0.0/16 10.2.0.0/16 any -P out ;`;
  const cmds = parseSetkey(cf);
  assert.deepEqual(
    cmds.map((c) => formatSetkeyCommand(c)),
    [
      'add 10.0.0.1[4500] 10.0.0.2[4500] esp-udp 0x1000 -m tunnel -u 5 -lh 3600 -ls 2880 -e udp-encaps-00 -o 192.168.1.10 any -E aes-gcm-16 0x000102030405060708090a0b0c0d0e0f10111213 ;',
      'spdadd 10.1.0.0/16[any] 10.2.0.0/16[any] any -P out prio def + 10 ipsec esp/tunnel/10.0.0.1[4500]-10.0.0.2[4500]/unique:5 ;',
      'spddelete 10.1.0.0/16[any] 10.2.0.0/16[any] any -P out ;',
    ],
  );
  assert.deepEqual(strip(reparse(cmds)), strip(cmds));
});

test('round trip of the real-world configs: parse -> format -> parse', () => {
  // ipsec-tools sample.cf (Gateway-A bundle) and setkey(8) examples, as in parser.test.ts
  const cf = `spdadd fec0:0:0:1::/64 fec0:0:0:2::/64 any -P out ipsec
	esp/tunnel/fec0:0:0:1::1-fec0:0:0:2::1/require ah/transport//require ;
add fec0:0:0:1::1 fec0:0:0:2::1 esp 0x10001 -m tunnel -E 3des-cbc "kamekame12341234kame1234" -A hmac-sha1 "this is the test key" ;
add fec0:0:0:1::1 fec0:0:0:2::1 ah 0x10001 -m transport -A hmac-md5 "this is the test" ;
add ::1 ::1 esp 10016 -m tunnel -f random-pad -r 8 -lh 100 -ls 80 -E null -A hmac-sha1 "12341234123412341234" ;
spdadd ::/0 ::/0 icmp6 135,0 -P in none ;
spdadd 10.0.11.0/24[any] 10.0.11.33/32[any] any -P out ipsec esp/tunnel/192.168.0.1[4500]-192.168.1.2[30000]/require ;
add 10.0.1.2 [4500] 20.0.0.2 [4500] esp-udp 10000 -E rijndael-cbc "aaaaaaaaaaaaaaaa";
add 10.0.0.1 10.0.0.2 esp-udp 192.168.1.10 0x1000 -E aes-gcm-8 0x000102030405060708090a0b0c0d0e0f10111213 ;
deleteall 10.0.0.1 10.0.0.2 esp ; get 10.0.0.1 10.0.0.2 esp-udp 4096 ; flush ; dump ah ; spdflush ; spddump ;`;
  const cmds = parseSetkey(cf);
  assert.deepEqual(strip(reparse(cmds)), strip(cmds));
});

// ---- fast-check: random valid commands print and re-parse equal ----

const ipv4 = fc.uint8Array({ minLength: 4, maxLength: 4 }).map((b) => ipFromBytes(b));
const ipv6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => ipFromBytes(b));
const port = fc.integer({ min: 0, max: 65535 });

function endpoint(addr: fc.Arbitrary<IpAddr>): fc.Arbitrary<SaEndpoint> {
  return fc
    .record({ addr, port: fc.option(port, { nil: undefined }) })
    .map(({ addr: a, port: p }) => (p === undefined ? { addr: a } : { addr: a, port: p }));
}

const keyOf = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });

const encr: fc.Arbitrary<{ algorithm: EncrAlgorithm; key: Uint8Array }> = fc
  .constantFrom(...(Object.keys(ENCR) as EncrAlgorithm[]))
  .chain((algorithm) => {
    const s = ENCR[algorithm];
    return fc.constantFrom(...s.keyLens).chain((k) => keyOf(k + s.saltLen).map((key) => ({ algorithm, key })));
  });
const integ: fc.Arbitrary<{ algorithm: IntegAlgorithm; key: Uint8Array }> = fc
  .constantFrom(...(Object.keys(INTEG) as IntegAlgorithm[]).filter((a) => a !== 'none'))
  .chain((algorithm) => keyOf(INTEG[algorithm].keyLen).map((key) => ({ algorithm, key })));
const none = { algorithm: 'none' as const, key: new Uint8Array(0) };

const limit = fc
  .record({
    time: fc.option(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), { nil: undefined }),
    bytes: fc.option(fc.bigInt({ min: 0n, max: 0xffffffffffffffffn }), { nil: undefined }),
  })
  .map(({ time, bytes }) => ({ ...(time !== undefined ? { time } : {}), ...(bytes !== undefined ? { bytes } : {}) }));

const addCmd: fc.Arbitrary<AddCommand> = fc
  .record({
    satype: fc.constantFrom('esp' as const, 'esp-udp' as const, 'ah' as const),
    v6: fc.boolean(),
    spi: fc.integer({ min: 256, max: 0xffffffff }),
    mode: fc.constantFrom('any' as const, 'transport' as const, 'tunnel' as const),
    reqid: fc.integer({ min: 0, max: 0xffffffff }),
    replay: fc.integer({ min: 0, max: 255 }),
    pad: fc.option(fc.constantFrom('zero-pad' as const, 'random-pad' as const, 'seq-pad' as const), { nil: undefined }),
    cyclicSeq: fc.boolean(),
    encr,
    integ: fc.option(integ, { nil: undefined }),
    hard: limit,
    soft: limit,
    nattType: fc.constantFrom('rfc3948' as const, 'udp-encaps-00' as const, 'cisco-udp' as const),
    oaSrc: fc.boolean(),
    oaDst: fc.boolean(),
    natKeepalive: fc.boolean(),
    natFloat: fc.boolean(),
    seed: fc.tuple(endpoint(ipv4), endpoint(ipv4), endpoint(ipv6), endpoint(ipv6), ipv4, ipv4, ipv6, ipv6),
  })
  .map((r) => {
    const [s4, d4, s6, d6, o4a, o4b, o6a, o6b] = r.seed;
    const src = r.v6 ? s6 : s4;
    const dst = r.v6 ? d6 : d4;
    const kind = ENCR[r.encr.algorithm].kind;
    let encryption: AddCommand['encryption'] = r.encr;
    let integrity = r.integ ?? none;
    if (r.satype === 'ah') {
      encryption = undefined;
      integrity = r.integ ?? { algorithm: 'hmac-sha1-96', key: new Uint8Array(20) };
    } else if (kind === 'aead' || kind === 'gmac') integrity = none;
    else if (kind === 'null' && integrity.algorithm === 'none')
      integrity = { algorithm: 'hmac-md5-96', key: new Uint8Array(16) };
    const oaSrc = r.oaSrc ? (r.v6 ? o6a : o4a) : undefined;
    const oaDst = r.oaDst ? (r.v6 ? o6b : o4b) : undefined;
    const base: AddCommand = {
      op: 'add',
      line: 1,
      satype: r.satype,
      src,
      dst,
      spi: r.spi,
      mode: r.mode,
      reqid: r.reqid,
      replay: r.replay,
      cyclicSeq: r.cyclicSeq,
      integrity,
      lifetime: { hard: r.hard, soft: r.soft },
      ...(r.pad ? { pad: r.pad } : {}),
      ...(encryption ? { encryption } : {}),
    };
    if (r.satype !== 'esp-udp') return base;
    const oa = oaSrc || oaDst ? { ...(oaSrc ? { src: oaSrc } : {}), ...(oaDst ? { dst: oaDst } : {}) } : undefined;
    return {
      ...base,
      natt: {
        type: r.nattType,
        sport: src.port || 4500,
        dport: dst.port || 4500,
        ...(oa ? { oa } : {}),
        keepalive: r.natKeepalive,
        float: r.natFloat,
      },
    };
  });

function selector(addr: fc.Arbitrary<IpAddr>, max: number, withPort: boolean): fc.Arbitrary<Selector> {
  return fc.record({ addr, prefixLen: fc.integer({ min: 0, max }), port: withPort ? port : fc.constant(0) });
}

function request(v6: boolean): fc.Arbitrary<IpsecRequest> {
  const ip = v6 ? ipv6 : ipv4;
  return fc
    .record({
      proto: fc.constantFrom('esp' as const, 'ah' as const),
      tunnel: fc.option(fc.record({ src: endpoint(ip), dst: endpoint(ip) }), { nil: undefined }),
      level: fc.constantFrom('default' as const, 'use' as const, 'require' as const, 'unique' as const),
      reqid: fc.option(fc.integer({ min: 1, max: 32767 }), { nil: undefined }),
    })
    .map((r) => ({
      proto: r.proto,
      mode: r.tunnel ? ('tunnel' as const) : ('transport' as const),
      level: r.level,
      ...(r.tunnel ? { tunnel: r.tunnel } : {}),
      ...(r.level === 'unique' && r.reqid !== undefined ? { reqid: r.reqid } : {}),
    }));
}

const spdCmd: fc.Arbitrary<SpdCommand> = fc.boolean().chain((v6) => {
  const ip = v6 ? ipv6 : ipv4;
  const max = v6 ? 128 : 32;
  return fc
    .record({
      op: fc.constantFrom('spdadd' as const, 'spdupdate' as const),
      icmp: fc.option(fc.record({ type: fc.integer({ min: 0, max: 255 }), code: fc.integer({ min: 0, max: 255 }) }), {
        nil: undefined,
      }),
      proto: fc.constantFrom(255, 6, 17, 47, 0, 200),
      src: selector(ip, max, true),
      dst: selector(ip, max, true),
      dir: fc.constantFrom('in' as const, 'out' as const, 'fwd' as const),
      priority: fc.option(fc.integer({ min: 0, max: 0xffffffff }), { nil: undefined }),
      action: fc.constantFrom('discard' as const, 'none' as const, 'ipsec' as const),
      requests: fc.array(request(v6), { minLength: 1, maxLength: 3 }),
    })
    .map((r) => {
      const policy: Policy = {
        dir: r.dir,
        action: r.action,
        requests: r.action === 'ipsec' ? r.requests : [],
        ...(r.priority !== undefined ? { priority: r.priority } : {}),
      };
      const upper = r.icmp ? { proto: v6 ? 58 : 1, icmp: r.icmp } : { proto: r.proto };
      const src = r.icmp ? { ...r.src, port: 0 } : r.src;
      const dst = r.icmp ? { ...r.dst, port: 0 } : r.dst;
      return { op: r.op, line: 1, src, dst, upper, policy };
    });
});

test('property: random add/spdadd commands print and re-parse equal', () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(addCmd, spdCmd), { minLength: 1, maxLength: 4 }), (cmds) => {
      assert.deepEqual(strip(reparse(cmds)), strip(cmds));
    }),
    { numRuns: 300 },
  );
});

const onlyConfigErrors = (input: string) => {
  try {
    parseSetkey(input);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
  }
};

test('property: random text only ever throws ConfigError', () => {
  const alphabet = fc.constantFrom(
    ...'add spdadd -P -E -A -m -e -o esp-udp ipsec esp/tunnel/ 10.0.0.1 ::1 [4500] /24 0x1000 "k" ; # \n any unique:'.split(
      ' ',
    ),
    ' ',
    '[',
    ']',
    '/',
    '-',
    '"',
    ';',
    '\n',
    '0x',
  );
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string(),
        fc.array(alphabet, { maxLength: 40 }).map((a) => a.join(' ')),
      ),
      (s) => onlyConfigErrors(s),
    ),
    { numRuns: 500 },
  );
});

test('property: mutated valid scripts only ever throw ConfigError', () => {
  fc.assert(
    fc.property(
      fc.array(fc.oneof(addCmd, spdCmd), { minLength: 1, maxLength: 2 }),
      fc.array(fc.tuple(fc.nat(), fc.nat(3), fc.string({ maxLength: 3 })), { minLength: 1, maxLength: 4 }),
      (cmds, edits) => {
        let s = formatSetkeyScript(cmds);
        for (const [at, del, ins] of edits) {
          const i = at % (s.length + 1);
          s = s.slice(0, i) + ins + s.slice(i + del);
        }
        onlyConfigErrors(s);
      },
    ),
    { numRuns: 300 },
  );
});
