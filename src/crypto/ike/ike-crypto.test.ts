/**
 * IKEv2 crypto against independent values:
 * - test/vectors/ikev2-ref.json: a reference written from RFC 7296 §2.13-§2.17, §3.14 and
 *   RFC 5282 / RFC 7634 with Python's hmac/hashlib and python3-cryptography
 *   (test/vectors/gen/ikev2-ref.py): SKEYSEED, SK_*, CHILD KEYMAT with and without PFS,
 *   Encrypted payload bodies, PSK AUTH; ECDH shared secrets for groups 19/20/21.
 * - RFC 7748 §5.2 (first vectors) for X25519 and X448, fed through createKeyExchange.
 * - RFC 3526 §3: the 2048-bit MODP prime as printed in the RFC; g^x checked with BigInt
 *   modular exponentiation (not OpenSSL).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { Rng } from '../../util/rng.js';
import { pskAuthData, signedOctets } from './ike-auth.js';
import { deriveChildKeys, deriveIkeSaKeys, deriveSkeyseed, type IkeSuite } from './ike-keymat.js';
import { createKeyExchange } from './key-exchange.js';
import { prfPlus } from './prf.js';
import { skBodyLength, skOpen, skSeal } from './sk-protect.js';

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** An Rng that hands out fixed bytes (the private keys of the vectors). */
function fixedRng(...chunks: Uint8Array[]): Rng {
  const queue = [...chunks];
  return {
    fill(buf: Uint8Array): void {
      const c = queue.shift();
      if (!c || c.length !== buf.length) throw new Error(`fixedRng: asked for ${buf.length} octets`);
      buf.set(c);
    },
  };
}

interface RefCase {
  suite: { name: string; encr: number; bits: number | null; integ: number | null; prf: number };
  ni: string;
  nr: string;
  gir: string;
  spiI: string;
  spiR: string;
  skeyseed: string;
  keys: Record<string, string>;
  child: Record<string, string>;
  childGir: string;
  childPfs: Record<string, string>;
  sk: { iv: string; prefix: string; inner: string; body: string };
  auth: { realMessage: string; psk: string; idBody: string; octets: string; data: string };
}
const REF = JSON.parse(readFileSync(new URL('../../../../test/vectors/ikev2-ref.json', import.meta.url), 'utf8')) as {
  cases: RefCase[];
  ecdh: { group: number; privA: string; pubA: string; privB: string; pubB: string; shared: string }[];
};

function suiteOf(c: RefCase): IkeSuite {
  const s: IkeSuite = { encr: c.suite.encr, prf: c.suite.prf };
  if (c.suite.bits !== null) s.encrKeyBits = c.suite.bits;
  if (c.suite.integ !== null) s.integ = c.suite.integ;
  return s;
}

for (const c of REF.cases) {
  test(`${c.suite.name}: SKEYSEED, SK_*, CHILD KEYMAT, Encrypted payload and PSK AUTH as the Python reference`, () => {
    const s = suiteOf(c);
    const skeyseed = deriveSkeyseed(s.prf, hex(c.ni), hex(c.nr), hex(c.gir));
    assert.equal(toHex(skeyseed), c.skeyseed);
    const k = deriveIkeSaKeys(s, skeyseed, hex(c.ni), hex(c.nr), BigInt(`0x${c.spiI}`), BigInt(`0x${c.spiR}`));
    for (const [name, want] of Object.entries(c.keys)) assert.equal(toHex(k[name as keyof typeof k]), want, name);
    const child = deriveChildKeys(s.prf, k.skD, s, undefined, hex(c.ni), hex(c.nr));
    for (const [name, want] of Object.entries(c.child))
      assert.equal(toHex(child[name as keyof typeof child]), want, `child ${name}`);
    const pfs = deriveChildKeys(s.prf, k.skD, s, hex(c.childGir), hex(c.ni), hex(c.nr));
    for (const [name, want] of Object.entries(c.childPfs))
      assert.equal(toHex(pfs[name as keyof typeof pfs]), want, `PFS ${name}`);

    const body = skSeal(s, k.skEi, k.skAi, hex(c.sk.iv), hex(c.sk.prefix), hex(c.sk.inner));
    assert.equal(toHex(body), c.sk.body);
    assert.equal(skBodyLength(s, hex(c.sk.inner).length), body.length);
    assert.equal(
      toHex(skOpen(s, k.skEi, k.skAi, hex(c.sk.prefix), hex(c.sk.body)) ?? new Uint8Array([0xee])),
      c.sk.inner,
    );
    // Any flipped bit in the authenticated data, the body or the ICV: no plaintext.
    for (const at of [0, 20, body.length - 1]) {
      const bad = hex(c.sk.body);
      bad[at] = (bad[at] ?? 0) ^ 0x01;
      assert.equal(skOpen(s, k.skEi, k.skAi, hex(c.sk.prefix), bad), undefined, `flipped body octet ${at}`);
    }
    const badPrefix = hex(c.sk.prefix);
    badPrefix[3] = (badPrefix[3] ?? 0) ^ 0x80;
    assert.equal(skOpen(s, k.skEi, k.skAi, badPrefix, hex(c.sk.body)), undefined, 'flipped header');
    assert.equal(skOpen(s, k.skEi, k.skAi, hex(c.sk.prefix), hex(c.sk.body).subarray(0, 10)), undefined, 'truncated');

    const octets = signedOctets(s.prf, hex(c.auth.realMessage), hex(c.nr), k.skPi, hex(c.auth.idBody));
    assert.equal(toHex(octets), c.auth.octets);
    assert.equal(toHex(pskAuthData(s.prf, hex(c.auth.psk), octets)), c.auth.data);
  });
}

for (const v of REF.ecdh) {
  test(`ECP group ${v.group}: public values (x | y, RFC 5903 §7) and g^ir (x, §9) as python-cryptography`, () => {
    const a = createKeyExchange(v.group, fixedRng(hex(v.privA)));
    assert.equal(toHex(a.publicValue), v.pubA);
    assert.equal(toHex(a.sharedSecret(hex(v.pubB))), v.shared);
    const b = createKeyExchange(v.group, fixedRng(hex(v.privB)));
    assert.equal(toHex(b.sharedSecret(hex(v.pubA))), v.shared);
    // A point off the curve is refused (RFC 5903 §9 / RFC 6989).
    const off = hex(v.pubB);
    off[off.length - 1] = (off[off.length - 1] ?? 0) ^ 1;
    assert.throws(() => a.sharedSecret(off), /not on the curve/);
  });
}

test('Curve25519 and Curve448 (groups 31, 32): RFC 7748 §5.2 first vectors', () => {
  const x = createKeyExchange(31, fixedRng(hex('a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4')));
  assert.equal(
    toHex(x.sharedSecret(hex('e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c'))),
    'c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552',
  );
  const y = createKeyExchange(
    32,
    fixedRng(
      hex(
        '3d262fddf9ec8e88495266fea19a34d28882acef045104d0d1aae121700a779c984c24f8cdd78fbff44943eba368f54b29259a4f1c600ad3',
      ),
    ),
  );
  assert.equal(
    toHex(
      y.sharedSecret(
        hex(
          '06fce640fa3487bfda5f6cf2d5263f8aad88334cbd07437f020f08f9814dc031ddbdc38c19c6da2583fa5429db94ada18aa7a7fb4ef8a086',
        ),
      ),
    ),
    'ce3e4ff95a60dc6697da1db1d85e6afbdf79b50a2412d7546d5f239fe14fbaadeb445fc66a01b0779d98223961111e21766282f73dd96b6f',
  );
  // RFC 8031 §2: a small-order peer value (all zero) gives an all-zero secret: refused.
  assert.throws(() => x.sharedSecret(new Uint8Array(32)));
});

// RFC 3526 §3, the 2048-bit MODP group, as printed in the RFC.
const RFC3526_2048 = `FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1
  29024E08 8A67CC74 020BBEA6 3B139B22 514A0879 8E3404DD
  EF9519B3 CD3A431B 302B0A6D F25F1437 4FE1356D 6D51C245
  E485B576 625E7EC6 F44C42E9 A637ED6B 0BFF5CB6 F406B7ED
  EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE45B3D
  C2007CB8 A163BF05 98DA4836 1C55D39A 69163FA8 FD24CF5F
  83655D23 DCA3AD96 1C62F356 208552BB 9ED52907 7096966D
  670C354E 4ABC9804 F1746C08 CA18217C 32905E46 2E36CE3B
  E39E772C 180E8603 9B2783A2 EC07A28F B5C55DF0 6F4C52C9
  DE2BCBF6 95581718 3995497C EA956AE5 15D22618 98FA0510
  15728E5A 8AACAA68 FFFFFFFF FFFFFFFF`.replace(/\s/g, '');

function modPow(b: bigint, e: bigint, m: bigint): bigint {
  let r = 1n;
  let x = b % m;
  for (let k = e; k > 0n; k >>= 1n) {
    if (k & 1n) r = (r * x) % m;
    x = (x * x) % m;
  }
  return r;
}

test('MODP group 14: the RFC 3526 prime, KE data g^x and g^xy checked with BigInt arithmetic', () => {
  const p = BigInt(`0x${RFC3526_2048}`);
  const xa = new Uint8Array(256).fill(0x5a);
  const xb = new Uint8Array(256).fill(0x3c);
  const a = createKeyExchange(14, fixedRng(xa.slice()));
  const b = createKeyExchange(14, fixedRng(xb.slice()));
  const big = (u: Uint8Array): bigint => BigInt(`0x${toHex(u)}`);
  // the implementation clears the top bit of the drawn exponent
  const ea = big(xa) & ((1n << 2047n) - 1n);
  const eb = big(xb) & ((1n << 2047n) - 1n);
  assert.equal(a.publicValue.length, 256);
  assert.equal(big(a.publicValue), modPow(2n, ea, p));
  const s = a.sharedSecret(b.publicValue);
  assert.equal(big(s), modPow(modPow(2n, eb, p), ea, p));
  assert.equal(toHex(s), toHex(b.sharedSecret(a.publicValue)));
  // RFC 7296 §3.4 / RFC 6989: 1 and p-1 are refused.
  const one = new Uint8Array(256);
  one[255] = 1;
  assert.throws(() => a.sharedSecret(one), /invalid public value/);
});

test('prf+ stops at 255 blocks (RFC 7296 §2.13)', () => {
  assert.equal(prfPlus(2, new Uint8Array(20), new Uint8Array(1), 255 * 20).length, 5100);
  assert.throws(() => prfPlus(2, new Uint8Array(20), new Uint8Array(1), 255 * 20 + 1));
});
