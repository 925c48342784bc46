/**
 * compact-state.ts: what an SA keeps is the same bytes in less memory. Expected values are
 * hand-built (distinct byte patterns per key, literal addresses), not taken from the packer.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TrafficSelector } from '../config/traffic-selector.js';
import type { SelectedProposal } from '../ike/proposal-select.js';
import { appended, EMPTY_BYTES, keptProposal, noItems, packIkeSaKeys, packSelectors } from './compact-state.js';

const fill = (n: number, v: number): Uint8Array => new Uint8Array(n).fill(v);

test('packIkeSaKeys: the seven SK_* keys (§2.14) read back byte for byte, in one buffer', () => {
  // PRF key 32 (SK_d, SK_pi, SK_pr), integrity 0 (AEAD), encryption 20 (AES-GCM-128 + salt)
  const k = {
    skD: fill(32, 0xd0),
    skAi: fill(0, 0),
    skAr: fill(0, 0),
    skEi: fill(20, 0xe1),
    skEr: fill(20, 0xe2),
    skPi: fill(32, 0xa1),
    skPr: fill(32, 0xa2),
  };
  const p = packIkeSaKeys(k);
  assert.deepEqual(p.skD, fill(32, 0xd0));
  assert.deepEqual(p.skAi, fill(0, 0));
  assert.deepEqual(p.skAr, fill(0, 0));
  assert.deepEqual(p.skEi, fill(20, 0xe1));
  assert.deepEqual(p.skEr, fill(20, 0xe2));
  assert.deepEqual(p.skPi, fill(32, 0xa1));
  assert.deepEqual(p.skPr, fill(32, 0xa2));
  assert.equal(p.skD.buffer, p.skPr.buffer, 'one buffer');
  assert.equal(p.skD.buffer.byteLength, 3 * 32 + 2 * 20, 'exact size');
  // a copy: the source can change without touching the kept keys
  k.skEi.fill(0);
  assert.deepEqual(p.skEi, fill(20, 0xe1));
});

test('packIkeSaKeys: with integrity keys (CBC + HMAC) every key keeps its place', () => {
  const p = packIkeSaKeys({
    skD: fill(48, 1),
    skAi: fill(24, 2),
    skAr: fill(24, 3),
    skEi: fill(16, 4),
    skEr: fill(16, 5),
    skPi: fill(48, 6),
    skPr: fill(48, 7),
  });
  assert.deepEqual(
    [p.skD, p.skAi, p.skAr, p.skEi, p.skEr, p.skPi, p.skPr].map((x) => [x.length, x[0], x.at(-1)]),
    [
      [48, 1, 1],
      [24, 2, 2],
      [24, 3, 3],
      [16, 4, 4],
      [16, 5, 5],
      [48, 6, 6],
      [48, 7, 7],
    ],
  );
});

test('packSelectors: same ranges, ports and protocols; one buffer; a single address has one view', () => {
  const ts = (start: number[], end: number[], protocol = 0, startPort = 0, endPort = 65535): TrafficSelector => ({
    family: start.length === 4 ? 4 : 6,
    protocol,
    startPort,
    endPort,
    startAddr: Uint8Array.from(start),
    endAddr: Uint8Array.from(end),
  });
  const local = [ts([10, 99, 3, 0], [10, 99, 3, 255])];
  const remote = [ts([10, 99, 5, 1], [10, 99, 5, 1], 17, 500, 500)];
  const [l, r] = packSelectors(local, remote);
  assert.deepEqual(l, [ts([10, 99, 3, 0], [10, 99, 3, 255])]);
  assert.deepEqual(r, [ts([10, 99, 5, 1], [10, 99, 5, 1], 17, 500, 500)]);
  assert.equal(r[0]?.startAddr, r[0]?.endAddr, 'one view for a single address');
  assert.equal(l[0]?.startAddr.buffer, r[0]?.startAddr.buffer, 'one buffer for both lists');
  assert.equal(l[0]?.startAddr.buffer.byteLength, 12);
  local[0]?.startAddr.fill(0);
  assert.deepEqual(l[0]?.startAddr, Uint8Array.from([10, 99, 3, 0]), 'copied');
});

test('keptProposal: transforms kept, SPI dropped, one shared object per transform set', () => {
  const sel = (spi: number[]): SelectedProposal => ({
    proposalNumber: 1,
    spi: Uint8Array.from(spi),
    protocol: 'esp',
    encr: { id: 20, keyLength: 128 },
    esn: 0,
  });
  const a = keptProposal(sel([0xc1, 0, 0, 1]));
  const b = keptProposal(sel([0xc1, 0, 0, 2]));
  assert.equal(a, b);
  assert.equal(a.spi.length, 0);
  assert.deepEqual({ ...a, spi: undefined }, { ...sel([]), spi: undefined });
  const other = keptProposal({ ...sel([1, 2, 3, 4]), encr: { id: 20, keyLength: 256 } });
  assert.notEqual(other, a);
  assert.equal(other.encr.keyLength, 256);
});

test('shared empty values cannot be written', () => {
  const list = noItems<number>();
  assert.throws(() => list.push(1), TypeError);
  assert.equal(noItems<number>().length, 0);
  assert.deepEqual(appended(list, 1), [1]);
  assert.equal(EMPTY_BYTES.length, 0);
});
