/**
 * esprit as an IKEv1 Aggressive Mode initiator (RFC 2409 §5.4) against the esprit gateway side
 * (whose vpnc interop is tested in ikev1-aggressive-xauth.test.ts and netns ikev1-vpnc), through
 * a NAT in front of the client. Expected octets of AM1 (the KEY_ID identity payload, the
 * authentication method attribute) are hand-built from RFC 2407 §4.6.2 and RFC 2409 App. A /
 * xauth-06 §5; summaries use charon's notation.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Ikev1Sa } from '../../src/ikev1/ikev1-sa.js';
import { toHex } from '../../src/util/hex.js';
import { decodeIsakmpMessage } from '../../src/wire/isakmp/isakmp-decode.js';
import { encodeIsakmpPayloadChain } from '../../src/wire/isakmp/isakmp-encode.js';
import { ep, Ikev1Pair } from './ikev1-pair.js';
import { configFromText } from './test-config.js';

const GW = (o: { psk?: string } = {}) =>
  configFromText(`connections {
  vpn {
    version = 1
    aggressive = yes
    local_addrs = 10.99.2.2
    proposals = aes128-sha1-modp1024
    local {
      auth = psk
      id = gw.lab
    }
    remote {
      auth = psk
      id = keyid:labgroup
    }
    children {
      net {
        local_ts = 10.99.3.0/24
        remote_ts = 10.99.1.0/24
        esp_proposals = aes128-sha1
      }
    }
  }
}
secrets {
  ike-vpn {
    id = keyid:labgroup
    secret = "${o.psk ?? 'labgroup-secret'}"
  }
}
`);

const CLIENT = (o: { psk?: string; proposals?: string } = {}) =>
  configFromText(`connections {
  home {
    version = 1
    aggressive = yes
    local_addrs = 10.99.1.2
    remote_addrs = 10.99.2.2
    proposals = ${o.proposals ?? 'aes256-sha1-modp2048, aes128-sha1-modp1024, aes128-sha256-modp1024'}
    local {
      auth = psk
      id = keyid:labgroup
    }
    remote {
      auth = psk
      id = gw.lab
    }
    children {
      home {
        local_ts = 10.99.1.0/24
        remote_ts = 10.99.3.0/24
        esp_proposals = aes128-sha1
      }
    }
  }
}
secrets {
  ike-home {
    id = keyid:labgroup
    secret = "${o.psk ?? 'labgroup-secret'}"
  }
}
`);

const only = (p: Ikev1Pair, s: 'i' | 'r'): Ikev1Sa => {
  const l = p.peer(s).engine.list();
  assert.equal(l.length, 1, `${s}: one SA`);
  return l[0] as Ikev1Sa;
};

const types = (b: Uint8Array): string => {
  const m = decodeIsakmpMessage(b);
  return m.encrypted
    ? 'E'
    : m.payloads.map((x) => (x.kind === 'NAT-D' ? `NAT-D(${x.draft ? 130 : 20})` : x.kind)).join(' ');
};

test('Aggressive Mode PSK initiator by KEY_ID through the NAT: AM1 octets, one DH group in all transforms', () => {
  const p = new Ikev1Pair(CLIENT(), GW());
  p.initiate('home');
  // HDR, SA, KE, Ni, IDii, VID (RFC 3947, drafts 03, 02\n, 02, 01, 00; DPD) -->
  const am1 = p.next();
  assert.equal(types(am1.bytes), 'SA KE No ID V V V V V V V');
  assert.equal(ep(am1.local), '10.99.1.2:500');
  const m1 = decodeIsakmpMessage(am1.bytes);
  assert.equal(m1.header.exchangeType, 4, 'RFC 2408 §3.1: Aggressive = 4');
  const id = m1.payloads.find((x) => x.kind === 'ID');
  assert.ok(id);
  // RFC 2408 §3.8 generic header (next 0 alone, reserved, length 16) + RFC 2407 §4.6.2 ID_KEY_ID
  // (11), protocol 0, port 0, "labgroup"
  assert.equal(toHex(encodeIsakmpPayloadChain([id])), '00000010' + '0b000000' + '6c616267726f7570');
  const sa = m1.payloads.find((x) => x.kind === 'SA');
  assert.ok(sa?.kind === 'SA');
  const transforms = sa.proposals[0]?.transforms ?? [];
  // RFC 2409 §5.4: one group for all transforms; modp2048 (first) only, so one transform
  assert.equal(transforms.length, 1);
  // App. A: Authentication Method (3) = pre-shared key (1) and Group Description (4) = 14, TV form
  assert.ok(transforms[0]?.attributes.some((a) => a.form === 'tv' && a.type === 3 && toHex(a.value) === '0001'));
  assert.ok(transforms[0]?.attributes.some((a) => a.form === 'tv' && a.type === 4 && toHex(a.value) === '000e'));
});

test('Aggressive Mode PSK initiator: established on both sides, AM3 from 4500, CHILD SA UDP-encapsulated', () => {
  const p = new Ikev1Pair(CLIENT({ proposals: 'aes128-sha1-modp1024' }), GW());
  p.initiate('home');
  p.deliver(p.next());
  // <-- HDR, SA, KE, Nr, IDir, HASH_R, VID (RFC 3947, DPD), NAT-D, NAT-D
  const am2 = p.next();
  assert.equal(types(am2.bytes), 'SA KE No ID HASH V V NAT-D(20) NAT-D(20)');
  p.deliver(am2);
  // HDR, HASH_I, NAT-D, NAT-D --> from 4500 to 4500 (RFC 3947 §4)
  const am3 = p.next();
  assert.equal(types(am3.bytes), 'HASH NAT-D(20) NAT-D(20)');
  assert.equal(ep(am3.local), '10.99.1.2:4500');
  assert.equal(ep(am3.remote), '10.99.2.2:4500');
  p.deliver(am3);
  const i = only(p, 'i');
  const r = only(p, 'r');
  assert.equal(i.state, 'established');
  assert.equal(r.state, 'established');
  assert.equal(i.localBehindNat, true);
  assert.equal(r.remoteBehindNat, true);
  assert.deepEqual(i.keys?.skeyidE, r.keys?.skeyidE);
  assert.deepEqual(p.log('i', 'generating').slice(0, 2), [
    'AGGRESSIVE request 0 [ SA KE No ID V V V V V V V ]',
    'AGGRESSIVE request 0 [ HASH NAT-D NAT-D ]',
  ]);
  // Quick Mode (QM1, QM2, QM3) on the floated ports
  p.flush();
  assert.equal(p.i.installed.length, 1);
  assert.equal(p.r.installed.length, 1);
  assert.equal(p.i.installed[0]?.encap?.framing, 'rfc3948');
  assert.deepEqual(p.i.results, [{ requestId: 1, ok: true, reason: 'established' }]);
  assert.ok(p.i.events.some((e) => e.kind === 'ike-up'));
});

test('Aggressive Mode initiator with a wrong group PSK: HASH_R fails, the connection fails with AUTHENTICATION-FAILED', () => {
  const p = new Ikev1Pair(CLIENT({ psk: 'not-the-group-secret', proposals: 'aes128-sha1-modp1024' }), GW());
  p.initiate('home');
  p.flush();
  assert.equal(p.i.engine.list().length, 0);
  assert.equal(p.i.results.length, 1);
  assert.equal(p.i.results[0]?.ok, false);
  assert.match(p.i.results[0]?.reason ?? '', /AUTHENTICATION-FAILED: HASH_R does not verify/);
  const e = p.i.events.find((x) => x.kind === 'auth-failed');
  assert.ok(e?.kind === 'auth-failed' && e.notify === 'AUTHENTICATION-FAILED');
  // nothing went past AM2: the gateway never got AM3 and established nothing
  assert.ok(!p.r.engine.list().some((x) => x.state === 'established'));
});

test('Aggressive Mode initiator: a repeated AM2 (AM3 lost) is answered with AM3 again', () => {
  const p = new Ikev1Pair(CLIENT({ proposals: 'aes128-sha1-modp1024' }), GW());
  p.initiate('home');
  p.deliver(p.next());
  const am2 = p.next();
  p.deliver(am2);
  const am3 = p.next();
  // AM3 lost (QM1 follows it on the wire); the same AM2 again
  p.wire.splice(0);
  p.deliver(am2);
  assert.equal(p.wire.length, 1);
  assert.deepEqual(p.next().bytes, am3.bytes);
});
