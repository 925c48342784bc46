/**
 * esprit as an IKEv1 client of a Cisco-style gateway: Aggressive Mode (RFC 2409 §5.4), XAUTH
 * generic as client (draft-ietf-ipsec-isakmp-xauth-06 §6), Mode Config pull and push as client
 * (draft-ietf-ipsec-isakmp-mode-cfg-05 §3) with the Cisco Unity attributes and Cisco UDP
 * (protocol-facts §3), against the esprit gateway side (transaction.ts) through a NAT. The
 * client's Transaction messages are opened with the gateway's keys and their attribute octets
 * compared with hex built by hand from the drafts: TV form = 0x8000 | type, then 2 value
 * octets; TLV form = type, length, value (RFC 2408 §3.3).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tsToString } from '../../src/config/traffic-selector.js';
import { hash1 } from '../../src/crypto/ikev1/ikev1-keymat.js';
import type { Ikev1Sa } from '../../src/ikev1/ikev1-sa.js';
import { exchangeIv, openProtected, sealProtected } from '../../src/ikev1/phase2-message.js';
import { toHex } from '../../src/util/hex.js';
import { decodeIsakmpMessage } from '../../src/wire/isakmp/isakmp-decode.js';
import { encodeIsakmpPayloadChain } from '../../src/wire/isakmp/isakmp-encode.js';
import type { DataAttribute, IsakmpPayload } from '../../src/wire/isakmp/isakmp-types.js';
import { amXauthClientConf, amXauthGatewayConf } from '../util/ikev1-am-xauth.js';
import { type Datagram, Ikev1Pair } from './ikev1-pair.js';
import { configFromText } from './test-config.js';

const GW = (o: { ciscoPort?: number; pools?: boolean } = {}) =>
  configFromText(
    amXauthGatewayConf({
      pools: o.pools ?? true,
      dns: '10.99.3.53',
      extra: o.ciscoPort !== undefined ? `cisco_udp_port = ${o.ciscoPort}` : '',
    }),
  );

const CLIENT = (o: { password?: string; cisco?: boolean; xauthId?: string } = {}) =>
  configFromText(
    amXauthClientConf({
      ...(o.password !== undefined ? { password: o.password } : {}),
      ...(o.xauthId !== undefined ? { xauthId: o.xauthId } : {}),
      extra: o.cisco ? 'natt_mode = none\n    cisco_udp_port = 10000' : '',
    }),
  );

const gwSa = (p: Ikev1Pair): Ikev1Sa => {
  const [sa] = p.r.engine.list();
  assert.ok(sa);
  return sa;
};

/** Open a Transaction message with the gateway's keys (first of its M-ID, or chained `iv`). */
function open(p: Ikev1Pair, d: Datagram, iv?: Uint8Array) {
  const sa = gwSa(p);
  const msg = decodeIsakmpMessage(d.bytes);
  assert.equal(msg.header.exchangeType, 6, 'TRANSACTION');
  const o = openProtected(sa, msg, iv ?? exchangeIv(sa)(msg.header.messageId));
  assert.ok(typeof o !== 'string', String(o));
  const attr = o.payloads[0];
  assert.ok(attr?.kind === 'ATTR');
  return { msg, attr, nextIv: o.nextIv };
}

/** The ATTR payload body after its 4-octet generic header, as hex. */
const attrHex = (attr: IsakmpPayload): string => toHex(encodeIsakmpPayloadChain([attr])).slice(8);

/** The next datagram that is not an Informational (INITIAL-CONTACT goes by, delivered). */
function nextTx(p: Ikev1Pair): Datagram {
  for (;;) {
    const d = p.next();
    if (decodeIsakmpMessage(d.bytes).header.exchangeType !== 5) return d;
    p.deliver(d);
  }
}

/** Deliver until the client's Mode Config request (its first Transaction after XAUTH is done). */
function untilModeConfigRequest(p: Ikev1Pair): Datagram {
  for (let n = 0; n < 20; n++) {
    const d = p.next();
    if (d.from === 'i' && decodeIsakmpMessage(d.bytes).header.exchangeType === 6 && gwSa(p).xauth?.state === 'done')
      return d;
    p.deliver(d);
  }
  throw new Error('no Mode Config request');
}

test('XAUTH and Mode Config pull as client: VIP on the TUN, one Quick Mode per Unity split include network', () => {
  const p = new Ikev1Pair(CLIENT(), GW());
  p.initiate('office');
  p.deliver(p.next()); // AM1 -->
  p.deliver(p.next()); // <-- AM2
  p.deliver(p.next()); // AM3 -->
  // <-- HDR*, HASH, ATTR(CFG_REQUEST: X_TYPE, X_USER, X_PWD)
  const xreq = nextTx(p);
  const q = open(p, xreq);
  p.deliver(xreq);
  // HDR*, HASH, ATTR(CFG_REPLY: X_TYPE, X_USER, X_PWD) -->
  const xrep = nextTx(p);
  const a = open(p, xrep, q.nextIv);
  assert.equal(a.attr.kind === 'ATTR' && a.attr.cfgType, 2);
  assert.equal(a.msg.header.messageId, q.msg.header.messageId);
  // ATTR: type 2 (REPLY), reserved, identifier; XAUTH_TYPE 16520 TV (0xc088) 0 (generic),
  // XAUTH_USER_NAME 16521 (0x4089) "labuser", XAUTH_USER_PASSWORD 16522 (0x408a) "labuser-password"
  const id = q.attr.kind === 'ATTR' ? q.attr.identifier : -1;
  assert.equal(
    attrHex(a.attr),
    `0200${id.toString(16).padStart(4, '0')}` +
      'c0880000' +
      `40890007${toHex(new TextEncoder().encode('labuser'))}` +
      `408a0010${toHex(new TextEncoder().encode('labuser-password'))}`,
  );
  p.deliver(xrep);
  // <-- CFG_SET(X_STATUS 1)
  const set = nextTx(p);
  const s = open(p, set);
  p.deliver(set);
  // HDR*, HASH, ATTR(CFG_ACK: X_STATUS 1) -->
  const ack = nextTx(p);
  const k = open(p, ack, s.nextIv);
  const sid = s.attr.kind === 'ATTR' ? s.attr.identifier : -1;
  // ACK (4), the SET's identifier, XAUTH_STATUS 16527 TV (0xc08f) = 1
  assert.equal(attrHex(k.attr), `0400${sid.toString(16).padStart(4, '0')}c08f0001`);
  p.deliver(ack);
  // HDR*, HASH, ATTR(CFG_REQUEST: ...) --> a new exchange
  const mreq = nextTx(p);
  const m = open(p, mreq);
  const mid = m.attr.kind === 'ATTR' ? m.attr.identifier : -1;
  // REQUEST (1); zero-length TLVs: IP4 address 1, netmask 2, DNS 3, NBNS 4, Unity banner
  // 0x7000, default domain 0x7002, split DNS 0x7003, split include 0x7004, split exclude 0x7006
  assert.equal(
    attrHex(m.attr),
    `0100${mid.toString(16).padStart(4, '0')}` +
      '00010000' +
      '00020000' +
      '00030000' +
      '00040000' +
      '70000000' +
      '70020000' +
      '70030000' +
      '70040000' +
      '70060000',
  );
  p.deliver(mreq);
  p.flush();
  const c = p.i.engine.list()[0];
  assert.ok(c);
  assert.deepEqual(p.i.vips, ['10.99.100.1'], 'INTERNAL_IP4_ADDRESS (the first of the pool) on the TUN');
  assert.equal(toHex(c.vipsLocal?.[0] ?? new Uint8Array(0)), '0a636401');
  // two split include networks: two Quick Modes, the VIP as IDci
  assert.deepEqual(
    p.i.installed.map((x) => [x.child, x.localTs.map(tsToString).join(), x.remoteTs.map(tsToString).join()]),
    [
      ['office', '10.99.100.1/32', '10.99.3.0/24'],
      ['office-2', '10.99.100.1/32', '192.168.7.0/25'],
    ],
  );
  assert.equal(p.r.installed.length, 2);
  assert.deepEqual(p.i.results, [{ requestId: 1, ok: true, reason: 'established' }]);
  assert.ok(p.i.logger.lines.some((l) => l.includes('XAUTH authentication successful')));
});

test('a wrong XAUTH password: XAUTH_STATUS 0 fails the client connection (auth-failed, up refused), no SA on either side', () => {
  const p = new Ikev1Pair(CLIENT({ password: 'wrong' }), GW());
  p.initiate('office');
  p.flush();
  assert.equal(p.i.engine.list().length, 0);
  assert.equal(p.r.engine.list().length, 0);
  assert.equal(p.i.results.length, 1);
  assert.equal(p.i.results[0]?.ok, false);
  assert.match(p.i.results[0]?.reason ?? '', /AUTHENTICATION-FAILED: XAUTH failed/);
  const e = p.i.events.find((x) => x.kind === 'auth-failed');
  assert.ok(e?.kind === 'auth-failed');
  assert.ok(p.r.events.some((x) => x.kind === 'auth-failed'));
  assert.ok(p.i.events.some((x) => x.kind === 'ike-down'));
  assert.deepEqual(p.i.vips, []);
  assert.equal(p.i.installed.length, 0);
});

test('XAUTH as client without a secret for xauth_id: the connection fails before answering', () => {
  const p = new Ikev1Pair(CLIENT({ xauthId: 'nobody' }), GW());
  p.initiate('office');
  p.flush();
  assert.equal(p.i.engine.list().length, 0);
  assert.match(p.i.results[0]?.reason ?? '', /no xauth secret for 'nobody'/);
});

test('Cisco UDP as client: 28677 requested (70 05 00 00), the gateway port (F0 05) used for ESP from our cisco_udp_port, IKE on 500', () => {
  const p = new Ikev1Pair(CLIENT({ cisco: true }), GW({ ciscoPort: 4501 }), { nat: false });
  p.initiate('office');
  const first = p.next();
  const am1 = decodeIsakmpMessage(first.bytes);
  // natt_mode = none: no NAT-T VIDs, XAUTH + Unity + DPD only
  assert.equal(am1.payloads.filter((x) => x.kind === 'V').length, 3);
  p.deliver(first);
  const mreq = untilModeConfigRequest(p);
  assert.ok(mreq);
  const m = open(p, mreq);
  assert.ok(m.attr.kind === 'ATTR');
  assert.deepEqual(m.attr.attributes.at(-1), { type: 28677, form: 'tlv', value: new Uint8Array(0) });
  assert.ok(attrHex(m.attr).endsWith('70060000' + '70050000'));
  p.deliver(mreq);
  p.flush();
  const c = p.i.engine.list()[0];
  assert.equal(c?.ciscoUdpPort, 4501);
  assert.equal(c?.local.port, 500, 'IKE stays on 500');
  const [plan] = p.i.installed;
  assert.deepEqual(plan?.encap, { localPort: 10000, remotePort: 4501, framing: 'cisco-udp' });
  assert.equal(plan?.keepalive, true, 'the client keeps the mapping alive');
  assert.equal(plan?.float, false);
  assert.equal(p.r.installed[0]?.float, true, 'the gateway learns the client mapping');
});

test('Mode Config push as client: the gateway CFG_SET is acknowledged with what was taken', () => {
  const p = new Ikev1Pair(CLIENT(), GW());
  p.initiate('office');
  // up to the client's pull request, which is lost
  untilModeConfigRequest(p);
  // the gateway pushes instead (the pull is lost): CFG_SET with address, netmask, DNS, split
  // include 10.99.3.7/255.255.255.0 (a host address with its mask: the network is taken), an unknown attribute 0x7fff and a malformed DNS of 3 octets
  const sa = gwSa(p);
  const mid = 0x11223344;
  const { keys, suite } = sa;
  assert.ok(keys && suite);
  const attrs: DataAttribute[] = [
    { type: 1, form: 'tlv', value: new Uint8Array([10, 99, 100, 77]) },
    { type: 2, form: 'tlv', value: new Uint8Array([255, 255, 255, 0]) },
    { type: 3, form: 'tlv', value: new Uint8Array([10, 99, 3, 53]) },
    { type: 3, form: 'tlv', value: new Uint8Array([1, 2, 3]) },
    { type: 0x7fff, form: 'tlv', value: new Uint8Array([1]) },
    {
      type: 28676,
      form: 'tlv',
      value: new Uint8Array([10, 99, 3, 7, 255, 255, 255, 0, 0, 0, 0, 0, 0, 0]),
    },
  ];
  const s = sealProtected(
    sa,
    6,
    mid,
    exchangeIv(sa)(mid),
    [{ kind: 'ATTR', cfgType: 3, identifier: 0x5151, attributes: attrs }],
    (rest) => hash1(suite.prf, keys.skeyidA, mid, rest),
  );
  p.deliver({ from: 'r', local: sa.local, remote: sa.remote, bytes: s.bytes });
  const ack = nextTx(p);
  const a = open(p, ack, s.nextIv);
  // ACK (4), identifier 0x5151; zero-length TLVs of the address, netmask, DNS and split include
  assert.equal(attrHex(a.attr), '04005151' + '00010000' + '00020000' + '00030000' + '70040000');
  p.deliver(ack);
  // the esprit gateway does not push yet (its side is another change): give it the address
  // a pushing gateway would have leased, so its Quick Mode selectors match
  sa.vipsRemote = [new Uint8Array([10, 99, 100, 77])];
  p.flush();
  assert.deepEqual(p.i.vips, ['10.99.100.77']);
  assert.ok(p.i.logger.lines.some((l) => l.includes('INTERNAL_IP4_DNS: 3 octets, not an IPv4 address')));
  assert.deepEqual(
    p.i.installed.map((x) => x.remoteTs.map(tsToString).join()),
    ['10.99.3.0/24'],
  );
});
