/**
 * Expected strings come from strongSwan's own unit test
 * src/libcharon/tests/suites/test_proposal.c (create_data: proposal string -> `%P`
 * output, NULL = rejected), plus hand-written cases for the keywords listed in
 * strongSwan's proposal_keywords_static.txt with IDs from the IANA IKEv2 registry.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../util/errors.js';
import { formatProposal, parseProposal, parseProposals } from './proposal.js';

// strongSwan 5.9.8 src/libstrongswan/crypto/proposal/proposal.c proposal_create_default /
// proposal_create_default_aead (ESP lists are fixed there, not plugin dependent), order from
// src/libcharon/plugins/vici/vici_config.c parse_proposal ('default': non-AEAD, then AEAD).

// [protocol, proposal, expected %P or null] — copied from strongSwan test_proposal.c (IKE/ESP rows).
const STRONGSWAN_CREATE_DATA: ['ike' | 'esp', string, string | null][] = [
  ['ike', '', null],
  ['ike', 'sha256', null],
  ['ike', 'sha256-modp3072', null],
  ['ike', 'null-sha256-modp3072', 'IKE:NULL/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_3072'],
  ['ike', 'aes128', null],
  ['ike', 'aes128-sha256', null],
  ['ike', 'aes128-sha256-modpnone', null],
  ['ike', 'aes128-sha256-modp3072', 'IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_3072'],
  ['ike', 'aes128-sha256-prfsha384-modp3072', 'IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_384/MODP_3072'],
  ['ike', 'aes128gcm16-modp3072', null],
  ['ike', 'aes128gcm16-prfsha256-modp3072', 'IKE:AES_GCM_16_128/PRF_HMAC_SHA2_256/MODP_3072'],
  ['ike', 'aes128gcm16-sha256-modp3072', 'IKE:AES_GCM_16_128/PRF_HMAC_SHA2_256/MODP_3072'],
  ['ike', 'aes128gcm16-aes128-modp3072', null],
  ['ike', 'aes128gcm16-aes128-sha256-modp3072', null],
  ['esp', '', null],
  ['esp', 'sha256', null],
  ['esp', 'aes128-sha256', 'ESP:AES_CBC_128/HMAC_SHA2_256_128/NO_EXT_SEQ'],
  ['esp', 'aes128-sha256-esn', 'ESP:AES_CBC_128/HMAC_SHA2_256_128/EXT_SEQ'],
  ['esp', 'aes128-sha256-noesn', 'ESP:AES_CBC_128/HMAC_SHA2_256_128/NO_EXT_SEQ'],
  ['esp', 'aes128-sha256-esn-noesn', 'ESP:AES_CBC_128/HMAC_SHA2_256_128/EXT_SEQ/NO_EXT_SEQ'],
  ['esp', 'aes128-sha256-prfsha256-modp3072', 'ESP:AES_CBC_128/HMAC_SHA2_256_128/MODP_3072/NO_EXT_SEQ'],
  ['esp', 'aes128gcm16-aes128-sha256-modp3072', null],
];

test('proposal strings match strongSwan test_proposal.c create_data', () => {
  for (const [proto, text, expected] of STRONGSWAN_CREATE_DATA) {
    if (expected === null) {
      assert.throws(() => parseProposal(proto, text), ConfigError, `${proto} '${text}' must be rejected`);
    } else {
      assert.equal(formatProposal(parseProposal(proto, text)), expected, `${proto} '${text}'`);
    }
  }
});

test('transform IDs follow the IANA IKEv2 registry', () => {
  const p = parseProposal('ike', 'aes256gcm12-aes128gcm8-chacha20poly1305-prfsha512-ecp384-ecp521-x25519-curve448');
  assert.deepEqual(p.transforms, {
    encr: [{ id: 19, keyLength: 256 }, { id: 18, keyLength: 128 }, { id: 28 }],
    prf: [7],
    integ: [],
    dh: [20, 21, 31, 32],
    esn: [],
  });
  const q = parseProposal('ike', 'aes192-aes256-sha1-sha384-sha512-modp2048-modp4096-ecp256');
  assert.deepEqual(q.transforms, {
    encr: [
      { id: 12, keyLength: 192 },
      { id: 12, keyLength: 256 },
    ],
    prf: [2, 6, 7],
    integ: [2, 13, 14],
    dh: [14, 16, 19],
    esn: [],
  });
});

test('gcm ICV aliases and log form', () => {
  assert.deepEqual(parseProposal('esp', 'aes128gcm128'), parseProposal('esp', 'aes128gcm16'));
  assert.equal(
    formatProposal(parseProposal('ike', 'aes128gcm16-prfsha256-x25519')),
    'IKE:AES_GCM_16_128/PRF_HMAC_SHA2_256/CURVE_25519',
  );
  assert.equal(formatProposal(parseProposal('esp', 'aes256gcm16')), 'ESP:AES_GCM_16_256/NO_EXT_SEQ');
});

test('several proposals separated by commas', () => {
  const ps = parseProposals('esp', 'aes128gcm16-esn, aes256-sha384');
  assert.deepEqual(ps.map(formatProposal), [
    'ESP:AES_GCM_16_128/EXT_SEQ',
    'ESP:AES_CBC_256/HMAC_SHA2_384_192/NO_EXT_SEQ',
  ]);
  assert.throws(() => parseProposals('esp', 'aes128-sha256,'), ConfigError);
});

test('unknown keyword names it with a suggestion', () => {
  assert.throws(
    () => parseProposal('ike', 'aes128-sha265-modp2048', 'conn.proposals'),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.path === 'conn.proposals' &&
      e.message.includes("'sha265'") &&
      e.message.includes("did you mean 'sha256'"),
  );
});

test("'default' ESP expands like strongSwan 5.9.8", () => {
  assert.deepEqual(parseProposals('esp', 'aes256gcm16,default').map(formatProposal), [
    'ESP:AES_GCM_16_256/NO_EXT_SEQ',
    'ESP:AES_CBC_128/AES_CBC_192/AES_CBC_256/HMAC_SHA2_256_128/HMAC_SHA2_384_192/HMAC_SHA2_512_256/HMAC_SHA1_96/AES_XCBC_96/NO_EXT_SEQ',
    'ESP:AES_GCM_16_128/AES_GCM_16_192/AES_GCM_16_256/NO_EXT_SEQ',
  ]);
  const ike = parseProposals('ike', 'default');
  assert.equal(ike.length, 2);
  assert.deepEqual(ike[1]?.transforms.encr.slice(0, 4), [
    { id: 20, keyLength: 128 },
    { id: 20, keyLength: 192 },
    { id: 20, keyLength: 256 },
    { id: 28 },
  ]);
  assert.deepEqual(ike[0]?.transforms.prf, [5, 6, 7, 2]);
});

// IKEv1 (version = 1). Expected `%P` strings: the proposals charon 5.9.8 selected in the lab
// (../shared/lab/README.md step 5: "IKE:AES_CBC_256/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024" for
// vpnc; results/tunnel-test-ikev1.out: "IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/
// MODP_2048"), with strongSwan's names for 3DES_CBC, HMAC_MD5_96, PRF_HMAC_MD5, MODP_1536
// (crypter.c, signer.c, prf.c, key_exchange.c enum names) and the keyword table
// proposal_keywords_static.txt (3des, md5, prfmd5, modp1024, modp1536).
test('IKEv1 proposals: 3DES, MD5, MODP 1024/1536 accepted, the PRF follows the hash', () => {
  const rows: ['ike' | 'esp', string, string][] = [
    ['ike', 'aes256-sha1-modp1024', 'IKE:AES_CBC_256/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024'],
    ['ike', 'aes128-sha256-modp2048', 'IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048'],
    ['ike', '3des-md5-modp1024', 'IKE:3DES_CBC/HMAC_MD5_96/PRF_HMAC_MD5/MODP_1024'],
    ['ike', 'aes256-sha1-modp1536', 'IKE:AES_CBC_256/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1536'],
    ['ike', 'aes128-sha1-prfsha1-modp1024', 'IKE:AES_CBC_128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024'],
    ['esp', '3des-md5', 'ESP:3DES_CBC/HMAC_MD5_96/NO_EXT_SEQ'],
    ['esp', 'aes256-sha1', 'ESP:AES_CBC_256/HMAC_SHA1_96/NO_EXT_SEQ'],
    ['esp', 'aes128gcm16-modp2048', 'ESP:AES_GCM_16_128/MODP_2048/NO_EXT_SEQ'],
  ];
  for (const [proto, text, want] of rows) assert.equal(formatProposal(parseProposal(proto, text, 'p', 1)), want, text);
  const refused: ['ike' | 'esp', string, RegExp][] = [
    ['ike', 'aes128gcm16-prfsha256-modp2048', /IKEv1 has no AEAD cipher for IKE/],
    ['ike', 'aes128-sha1-prfsha256-modp1024', /derives the PRF from the hash; PRF_HMAC_SHA2_256/],
    ['ike', 'aes128-aesxcbc-modp2048', /no hash for 'aesxcbc'/],
    ['ike', 'aes128-modp2048', /has no hash algorithm/],
    ['ike', 'des-sha1-modp1024', /unknown algorithm 'des'/],
  ];
  for (const [proto, text, re] of refused)
    assert.throws(
      () => parseProposal(proto, text, 'p', 1),
      (e: unknown) => e instanceof ConfigError && re.test(e.message),
      text,
    );
});

test('IKEv2 still refuses what esprit cannot negotiate there: 3des, md5, modp1024, modp1536', () => {
  for (const [proto, text, w] of [
    ['ike', 'aes256-sha1-modp1024', 'modp1024'],
    ['ike', 'aes256-sha1-modp1536', 'modp1536'],
    ['ike', '3des-sha1-modp2048', '3des'],
    ['esp', 'aes128-md5', 'md5'],
  ] as const) {
    assert.throws(
      () => parseProposal(proto, text, 'p'),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.message === `p: algorithm '${w}' in proposal '${text}': IKEv1 only (needs version = 1)`,
    );
  }
  // `default` for IKEv1: the IKEv2 CBC round without AES-XCBC, no AEAD round.
  const d = parseProposals('ike', 'default', 'p', 1);
  assert.equal(d.length, 1);
  assert.equal(
    formatProposal(d[0] as NonNullable<(typeof d)[0]>),
    'IKE:AES_CBC_128/AES_CBC_192/AES_CBC_256/HMAC_SHA2_256_128/HMAC_SHA2_384_192/HMAC_SHA2_512_256/HMAC_SHA1_96/PRF_HMAC_SHA2_256/PRF_HMAC_SHA2_384/PRF_HMAC_SHA2_512/PRF_HMAC_SHA1/ECP_256/ECP_384/ECP_521/CURVE_25519/CURVE_448/MODP_3072/MODP_4096/MODP_2048',
  );
});
