/**
 * Selection cases from strongSwan's src/libcharon/tests/suites/test_proposal.c
 * (select_data: self, other, expected; strongSwan's default prefers its own order), the
 * proposal strings turned into received SA proposals via parseProposal (itself checked
 * against strongSwan's strings in proposal.test.ts), plus hand-built RFC 7296 §3.3
 * transform lists (IDs from the IANA registry) for key lengths, numbering and KE.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Proposal, parseProposal } from '../config/proposal.js';
import { invalidKeGroup, type ReceivedProposal, selectProposal } from './proposal-select.js';

function received(p: Proposal, num = 1, spi = new Uint8Array([1, 2, 3, 4])): ReceivedProposal {
  const t = p.transforms;
  return {
    proposalNumber: num,
    protocolId: p.protocol === 'ike' ? 1 : 3,
    spi,
    transforms: [
      ...t.encr.map((e) => ({ type: 1, ...e })),
      ...t.prf.map((id) => ({ type: 2, id })),
      ...t.integ.map((id) => ({ type: 3, id })),
      ...t.dh.map((id) => ({ type: 4, id })), // modpnone is sent as DH ID 0 (NONE, IANA)
      ...t.esn.map((id) => ({ type: 5, id })),
    ],
  };
}

const SELECT_DATA: ['ike' | 'esp', string, string, string | null][] = [
  ['esp', 'aes128', 'aes128', 'aes128'],
  ['esp', 'aes128', 'aes256', null],
  ['esp', 'aes128-aes256', 'aes256-aes128', 'aes128'],
  ['esp', 'aes256-aes128', 'aes128-aes256', 'aes256'],
  ['esp', 'aes128-aes256-sha1-sha256', 'aes256-aes128-sha256-sha1', 'aes128-sha1'],
  ['esp', 'aes256-aes128-sha256-sha1', 'aes128-aes256-sha1-sha256', 'aes256-sha256'],
  ['esp', 'aes128-sha256-modp3072', 'aes128-sha256', null],
  ['esp', 'aes128-sha256', 'aes128-sha256-modp3072', null],
  ['esp', 'aes128-sha256-modp3072-modpnone', 'aes128-sha256', 'aes128-sha256'],
  ['esp', 'aes128-sha256', 'aes128-sha256-modp3072-modpnone', 'aes128-sha256'],
  ['esp', 'aes128-sha256-modp3072-modpnone', 'aes128-sha256-modpnone-modp3072', 'aes128-sha256-modp3072'],
  ['esp', 'aes128-sha256-modpnone-modp3072', 'aes128-sha256-modp3072-modpnone', 'aes128-sha256-modpnone'],
  ['ike', 'aes128-sha256-modp3072', 'aes128-sha256-modp3072', 'aes128-sha256-modp3072'],
  ['ike', 'aes128-sha256-modp3072', 'aes128-sha256-modp3072-modpnone', 'aes128-sha256-modp3072'],
  ['ike', 'aes128-sha256-modp3072-modpnone', 'aes128-sha256-modp3072', 'aes128-sha256-modp3072'],
];

test('strongSwan select_data (own order preferred)', () => {
  for (const [proto, self, other, expected] of SELECT_DATA) {
    const r = selectProposal([parseProposal(proto, self)], [received(parseProposal(proto, other))]);
    if (expected === null) {
      assert.equal(r.ok, false, `${self} vs ${other}`);
      continue;
    }
    assert.ok(r.ok, `${self} vs ${other}`);
    const e = parseProposal(proto, expected).transforms;
    const s = r.selected;
    assert.deepEqual(s.encr, e.encr[0], `${self} vs ${other}`);
    assert.equal(s.integ, e.integ[0]);
    assert.equal(s.prf, e.prf[0]);
    assert.equal(s.dh, e.dh.filter((d) => d !== 0)[0]);
    assert.equal(s.esn, e.esn[0]);
  }
});

test('own config order wins over peer order; number and SPI echoed', () => {
  const spi = new Uint8Array([0xc0, 0xff, 0xee, 0x01]);
  const peer: ReceivedProposal[] = [
    {
      proposalNumber: 1,
      protocolId: 3,
      spi,
      transforms: [
        { type: 1, id: 12, keyLength: 128 },
        { type: 3, id: 12 },
        { type: 5, id: 0 },
      ],
    },
    {
      proposalNumber: 2,
      protocolId: 3,
      spi,
      transforms: [
        { type: 1, id: 20, keyLength: 256 },
        { type: 5, id: 0 },
      ],
    },
  ];
  const r = selectProposal([parseProposal('esp', 'aes256gcm16'), parseProposal('esp', 'aes128-sha256')], peer);
  assert.ok(r.ok);
  assert.equal(r.selected.proposalNumber, 2);
  assert.deepEqual(r.selected.encr, { id: 20, keyLength: 256 });
  assert.equal(r.selected.spi, spi);
});

test('key length attribute must match; wrong protocol and unknown type rejected', () => {
  const own = [parseProposal('ike', 'aes256-sha256-modp2048')];
  const mk = (
    keyLength: number | undefined,
    protocolId = 1,
    extra: { type: number; id: number }[] = [],
  ): ReceivedProposal[] => [
    {
      proposalNumber: 1,
      protocolId,
      spi: new Uint8Array(8),
      transforms: [
        keyLength === undefined ? { type: 1, id: 12 } : { type: 1, id: 12, keyLength },
        { type: 2, id: 5 },
        { type: 3, id: 12 },
        { type: 4, id: 14 },
        ...extra,
      ],
    },
  ];
  assert.equal(selectProposal(own, mk(128)).ok, false);
  assert.equal(selectProposal(own, mk(undefined)).ok, false);
  assert.equal(selectProposal(own, mk(256)).ok, true);
  assert.equal(selectProposal(own, mk(256, 3)).ok, false);
  assert.equal(selectProposal(own, mk(256, 1, [{ type: 9, id: 1 }])).ok, false);
  const bad = selectProposal(own, mk(128));
  assert.ok(!bad.ok && bad.notify === 'NO_PROPOSAL_CHOSEN');
});

test('INVALID_KE_PAYLOAD decision (RFC 7296 §1.2)', () => {
  const own = [parseProposal('ike', 'aes128gcm16-prfsha256-x25519-ecp256')];
  const peer = [received(parseProposal('ike', 'aes128gcm16-prfsha256-ecp256-x25519'))];
  // KE for ecp256 sent: accepted group is promoted, no INVALID_KE_PAYLOAD.
  const a = selectProposal(own, peer, 19);
  assert.ok(a.ok);
  assert.equal(a.selected.dh, 19);
  assert.equal(invalidKeGroup(19, a.selected), undefined);
  // KE for modp2048 (not acceptable): our first choice is requested.
  const b = selectProposal(own, peer, 14);
  assert.ok(b.ok);
  assert.equal(b.selected.dh, 31);
  assert.equal(invalidKeGroup(14, b.selected), 31);
});
