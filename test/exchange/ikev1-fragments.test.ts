/**
 * Cisco IKE fragments (protocol-facts §1.4) received by an esprit responder: MM5 of a PSK Main
 * Mode, cut by hand (the fragment messages are built here octet by octet, not by esprit's
 * encoder) and delivered out of order between forged, malformed and duplicate fragments.
 * Nothing but the complete message moves the SA; every bad fragment is counted and dropped.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Ikev1Sa } from '../../src/ikev1/ikev1-sa.js';
import { type Datagram, Ikev1Pair } from './ikev1-pair.js';
import { configFromText } from './test-config.js';

const conf = (side: 'i' | 'r', fragmentation = 'yes') =>
  configFromText(`connections {
  mm {
    version = 1
    ${side === 'i' ? 'local_addrs = 10.99.1.2\n    remote_addrs = 10.99.2.2' : 'local_addrs = 10.99.2.2'}
    proposals = aes128-sha256-modp2048
    fragmentation = ${fragmentation}
    local {
      auth = psk
      id = ${side === 'i' ? 'client.esprit.test' : 'gw.esprit.test'}
    }
    remote {
      auth = psk
      id = ${side === 'i' ? 'gw.esprit.test' : 'client.esprit.test'}
    }
  }
}
secrets {
  ike-mm {
    id-a = gw.esprit.test
    id-b = client.esprit.test
    secret = "fragment-secret"
  }
}
`);

/**
 * A fragment message by hand: the 28-octet ISAKMP header (cookies of `of`, next payload 132,
 * version 0x10, ID_PROT, `flags`, message ID 0, length) and the FRAG payload (next 0, reserved,
 * length, Fragment ID, number, flags 0x01 on the last, data).
 */
function fragment(of: Uint8Array, id: number, n: number, last: boolean, data: Uint8Array, flags = 0): Uint8Array {
  const b = new Uint8Array(28 + 8 + data.length);
  const v = new DataView(b.buffer);
  b.set(of.subarray(0, 16), 0);
  b[16] = 132;
  b[17] = 0x10;
  b[18] = 2;
  b[19] = flags;
  v.setUint32(24, b.length);
  v.setUint16(30, 8 + data.length);
  v.setUint16(32, id);
  b[34] = n;
  b[35] = last ? 1 : 0;
  b.set(data, 36);
  return b;
}

/** MM1..MM4 delivered; MM5 taken off the wire, not delivered. */
function upToMm5(p: Ikev1Pair): Datagram {
  p.initiate('mm');
  for (let k = 0; k < 4; k++) p.deliver(p.next());
  return p.next();
}

const responderSa = (p: Ikev1Pair): Ikev1Sa => p.r.engine.list()[0] as Ikev1Sa;

test('MM5 in three hand-built fragments, out of order, among forged, malformed and duplicate ones: reassembled, answered, established', () => {
  const p = new Ikev1Pair(conf('i'), conf('r'));
  const mm5 = upToMm5(p);
  const m = mm5.bytes;
  const third = Math.ceil(m.length / 3);
  const parts = [m.subarray(0, third), m.subarray(third, 2 * third), m.subarray(2 * third)];
  const send = (bytes: Uint8Array) => p.deliver({ ...mm5, bytes });
  // the last first
  send(fragment(m, 0x1234, 3, true, parts[2] as Uint8Array));
  // malformed: fragment number 0 (the decoder refuses it)
  send(fragment(m, 0x1234, 0, false, parts[0] as Uint8Array));
  // forged: other cookies
  const other = m.slice(0, 16);
  other[0] = (other[0] ?? 0) ^ 0xff;
  send(fragment(other, 0x1234, 1, false, parts[0] as Uint8Array));
  // racoon's form: the E flag set on a cleartext fragment
  send(fragment(m, 0x1234, 1, false, parts[0] as Uint8Array, 0x01));
  // a duplicate of fragment 1 with other data: ignored, the first stays
  send(fragment(m, 0x1234, 1, false, new Uint8Array((parts[0] as Uint8Array).length)));
  assert.equal(responderSa(p).state, 'mm4-sent', 'no state change before the message is complete');
  assert.equal(p.wire.length, 0, 'nothing answered yet');
  send(fragment(m, 0x1234, 2, false, parts[1] as Uint8Array));
  // <-- HDR*, IDir, HASH_R: the joined MM5 verified
  assert.equal(responderSa(p).state, 'established');
  p.deliver(p.next());
  assert.equal((p.i.engine.list()[0] as Ikev1Sa).state, 'established');
  assert.deepEqual(
    [p.r.engine.drops.get('malformed'), p.r.engine.drops.get('fragment')],
    [1, 2],
    'fragment 0 malformed; the forged cookies and the duplicate dropped',
  );
  assert.ok(p.r.logger.lines.some((l) => l.includes(`reassembled a fragmented IKEv1 message (${m.length} octets)`)));
});

test('fragmentation = no: no FRAGMENTATION VID sent, and fragments are dropped without touching the SA', () => {
  const p = new Ikev1Pair(conf('i'), conf('r', 'no'));
  const mm5 = upToMm5(p);
  const m = mm5.bytes;
  const h = m.length >> 1;
  p.deliver({ ...mm5, bytes: fragment(m, 1, 1, false, m.subarray(0, h)) });
  p.deliver({ ...mm5, bytes: fragment(m, 1, 2, true, m.subarray(h)) });
  assert.equal(responderSa(p).state, 'mm4-sent');
  assert.equal(p.r.engine.drops.get('fragment'), 2);
  assert.equal(responderSa(p).peerFragmentation, true, 'the initiator (fragmentation = yes) sent the VID');
  assert.ok(
    p.r.logger.lines.some((l) => l.includes('generating ID_PROT response 0 [ SA V V ]')),
    'MM2: no FRAGMENTATION VID',
  );
  // the whole MM5 still works
  p.deliver(mm5);
  assert.equal(responderSa(p).state, 'established');
});

test('a reassembled message that is itself a fragment is dropped', () => {
  const p = new Ikev1Pair(conf('i'), conf('r'));
  const mm5 = upToMm5(p);
  const inner = fragment(mm5.bytes, 9, 1, true, new Uint8Array([1, 2, 3]));
  p.deliver({ ...mm5, bytes: fragment(mm5.bytes, 2, 1, true, inner) });
  assert.equal(p.r.engine.drops.get('fragment'), 1);
  assert.equal(responderSa(p).state, 'mm4-sent');
});
