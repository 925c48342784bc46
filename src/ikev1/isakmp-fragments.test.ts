/**
 * Cisco IKE fragments (protocol-facts §1.4): the VID test, the split against hand-built
 * octets, and the bounded reassembly.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromHex as hex, toHex } from '../util/hex.js';
import type { Reassembly } from './ikev1-sa.js';
import { addFragment, fragmentMessage, isFragmentationVid, MAX_FRAGMENTS } from './isakmp-fragments.js';

const FRAG_VID = '4048b7d56ebce88525e7de7f00d6c2d3';

test('FRAGMENTATION VID: 16 octets, or 20 with the 0x80000000 capability (charon 80000000, Cisco c0000000)', () => {
  assert.equal(isFragmentationVid(hex(FRAG_VID)), true);
  assert.equal(isFragmentationVid(hex(`${FRAG_VID}80000000`)), true);
  assert.equal(isFragmentationVid(hex(`${FRAG_VID}c0000000`)), true);
  assert.equal(isFragmentationVid(hex(`${FRAG_VID}40000000`)), false);
  assert.equal(isFragmentationVid(hex(`${FRAG_VID}8000`)), false);
  assert.equal(isFragmentationVid(hex('afcad71368a1f1c96b8696fc77570100')), false);
});

test('split: a 60-octet message, at most 50 octets a datagram, goes as 14 + 14 + 14 + 14 + 4 octets in FRAG payloads', () => {
  const msg = new Uint8Array(60).map((_, i) => i);
  const out = fragmentMessage(msg, { spiI: 0x0102030405060708n, spiR: 0x1112131415161718n }, false, 0x0007, 50);
  assert.equal(out.length, 5);
  // hand-built: cookies | next 132 | version 1.0 | ID_PROT | flags 0 | message ID 0 | length 50
  //             FRAG: next 0 | reserved | length 22 | Fragment ID 7 | number 1 | flags 0 | 14 data octets
  assert.equal(
    toHex(out[0] as Uint8Array),
    `${'0102030405060708' + '1112131415161718' + '84100200' + '00000000' + '00000032'}${'00000016' + '0007' + '01' + '00'}000102030405060708090a0b0c0d`,
  );
  // the last: 4 data octets (56..59), flags 0x01
  assert.equal(
    toHex(out[4] as Uint8Array),
    `${'0102030405060708' + '1112131415161718' + '84100200' + '00000000' + '00000028'}${'0000000c' + '0007' + '05' + '01'}38393a3b`,
  );
  assert.deepEqual(fragmentMessage(msg, { spiI: 1n, spiR: 2n }, false, 1, 60), [msg]);
  // Aggressive Mode SA: the fragments say AGGRESSIVE (4)
  assert.equal(fragmentMessage(msg, { spiI: 1n, spiR: 2n }, true, 1, 50)[0]?.[18], 4);
});

const frag = (n: number, last: boolean, data: string, id = 5) => ({
  kind: 'FRAG' as const,
  fragmentId: id,
  fragmentNumber: n,
  last,
  data: hex(data),
});

function box() {
  let r: Reassembly | undefined;
  return {
    get: () => r,
    set: (x: Reassembly | undefined) => {
      r = x;
    },
  };
}

test('reassembly: out of order, duplicates ignored, the message joined in fragment-number order', () => {
  const b = box();
  assert.deepEqual(addFragment(b.get(), b.set, frag(3, true, 'cc'), 0, 100), { kind: 'more' });
  assert.deepEqual(addFragment(b.get(), b.set, frag(1, false, 'aaaa'), 1, 100), { kind: 'more' });
  assert.deepEqual(addFragment(b.get(), b.set, frag(1, false, 'ffff'), 1, 100), {
    kind: 'drop',
    reason: 'duplicate fragment 1',
  });
  const r = addFragment(b.get(), b.set, frag(2, false, 'bb'), 2, 100);
  assert.equal(r.kind, 'complete');
  assert.equal(r.kind === 'complete' && toHex(r.bytes), 'aaaabbcc');
  assert.equal(b.get(), undefined);
});

test('reassembly bounds: beyond the last, a second last, max_packet, empty, number > MAX_FRAGMENTS, timeout, new ID', () => {
  const b = box();
  addFragment(b.get(), b.set, frag(2, true, 'bb'), 0, 8);
  const before = JSON.stringify([...(b.get()?.parts.keys() ?? [])]);
  assert.deepEqual(addFragment(b.get(), b.set, frag(3, false, 'cc'), 0, 8), {
    kind: 'drop',
    reason: 'fragment 3 beyond the last (2)',
  });
  assert.deepEqual(addFragment(b.get(), b.set, frag(4, true, 'cc'), 0, 8), {
    kind: 'drop',
    reason: 'second last fragment 4 (was 2)',
  });
  assert.deepEqual(addFragment(b.get(), b.set, frag(1, false, '0102030405060708'), 0, 8), {
    kind: 'drop',
    reason: 'fragmented message over max_packet (8 octets)',
  });
  assert.deepEqual(addFragment(b.get(), b.set, frag(1, false, ''), 0, 8), {
    kind: 'drop',
    reason: 'fragment 1 without data',
  });
  assert.deepEqual(addFragment(b.get(), b.set, frag(MAX_FRAGMENTS + 1, false, 'aa'), 0, 8), {
    kind: 'drop',
    reason: `fragment number ${MAX_FRAGMENTS + 1} > ${MAX_FRAGMENTS}`,
  });
  // none of those changed the reassembly
  assert.equal(JSON.stringify([...(b.get()?.parts.keys() ?? [])]), before);
  assert.equal(b.get()?.last, 2);
  // fragment 1 after 30 s: the stale message is dropped, this one starts over (and waits for its last)
  assert.deepEqual(addFragment(b.get(), b.set, frag(1, false, 'aa'), 30_001, 8), { kind: 'more' });
  assert.equal(b.get()?.last, undefined);
  // another Fragment ID starts over too
  assert.deepEqual(addFragment(b.get(), b.set, frag(1, true, 'dd', 6), 30_002, 8), {
    kind: 'complete',
    bytes: hex('dd'),
  });
});
