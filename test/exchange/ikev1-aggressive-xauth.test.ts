/**
 * The esprit gateway's side of what vpnc does (RFC 2409 §5.4 Aggressive Mode PSK with a group
 * name as ID_KEY_ID, xauth-06 XAUTH generic, mode-cfg-05 Mode Config pull with Cisco Unity's
 * split include), against a scripted client in this file that builds vpnc's messages: AM1 with
 * XAUTHInitPreShared (65001) transforms and vpnc's VIDs, AM3 encrypted from port 4500, the
 * XAUTH CFG_REPLY and CFG_ACK, and vpnc's CFG_REQUEST. The client checks the gateway's HASH_R
 * and every Transaction HASH itself; expected Mode Config octets are hand-built (the Unity
 * split-include entry is address | mask | protocol | sport | dport, protocol-facts §3).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exchangeIv, sealProtected } from '../../src/ikev1/phase2-message.js';
import { bytesEqual, toHex } from '../../src/util/hex.js';
import { decodeIsakmpMessage } from '../../src/wire/isakmp/isakmp-decode.js';
import {
  am1,
  am2,
  am3,
  connect,
  GW_500,
  GW_4500,
  NAT_500,
  NAT_4500,
  openTx,
  Rig,
  sealTx,
  tlv,
} from './ikev1-scripted-vpnc.js';

test('vpnc-style Aggressive Mode with the group PSK, XAUTH and Mode Config pull: address, DNS and Unity split include', () => {
  const r = new Rig();
  assert.equal(connect(r, 'labuser-password'), 1, 'XAUTH_STATUS OK');
  const [sa] = r.gw.list();
  assert.ok(sa);
  assert.equal(sa.state, 'established');
  assert.equal(sa.xauth?.state, 'done');
  assert.equal(sa.local.port, 4500, 'answers on the ports AM3 came from');
  assert.equal(sa.remote.port, 24500);
  assert.equal(sa.remoteBehindNat, true, 'the float to 4500 says the client saw a NAT');
  assert.equal(sa.natt?.variant, 'rfc');
  assert.equal(sa.suite?.authMethod, 65001);
  // HDR*, HASH, ATTR(CFG_REQUEST: ADDR, DNS, SPLIT_INC, BANNER) --> as vpnc asks (BANNER unknown here)
  const mid = 0x01020304;
  const reqAttrs = [1, 3, 28676, 28672].map((t) => tlv(t, new Uint8Array(0)));
  const req = sealTx(r, mid, exchangeIv(r.c)(mid), 1, 20, reqAttrs);
  const [rep] = r.deliver(GW_4500, NAT_4500, req.bytes);
  assert.ok(rep);
  // <-- HDR*, HASH, ATTR(CFG_REPLY) in the same exchange, chained IV
  const p = openTx(r, rep, req.nextIv);
  assert.ok(p.attr.kind === 'ATTR');
  assert.equal(p.attr.cfgType, 2);
  assert.equal(p.attr.identifier, 20, 'the identifier of the request');
  const byType = new Map(p.attr.attributes.map((a) => [a.type, toHex(a.value)]));
  assert.equal(byType.get(1), '0a636401', 'INTERNAL_IP4_ADDRESS 10.99.100.1 (first of the pool)');
  assert.equal(byType.get(3), '0a630335', 'INTERNAL_IP4_DNS 10.99.3.53');
  // two 14-octet entries: 10.99.3.0/255.255.255.0 and 192.168.7.0/255.255.255.128, proto and ports 0
  assert.equal(byType.get(28676), '0a630300ffffff00000000000000' + 'c0a80700ffffff80000000000000');
  assert.equal(byType.has(28672), false, 'no banner configured: not answered');
  assert.deepEqual(
    sa.vipsRemote.map((v) => toHex(v)),
    ['0a636401'],
  );
  // a retransmitted request gets the same reply
  const [again] = r.deliver(GW_4500, NAT_4500, req.bytes);
  assert.ok(again);
  assert.ok(again.encrypted && rep.encrypted && bytesEqual(again.encrypted, rep.encrypted));
  assert.ok(r.logger.lines.some((l) => l.includes('parsed AGGRESSIVE request 0 [ HASH NAT-D NAT-D ]')));
});

test('Cisco UDP: a Mode Config request with 28677 gets the configured port as a basic attribute; the SA remembers it for Quick Mode (the netns test installs and uses it)', () => {
  const r = new Rig();
  // no NAT-T VIDs, as vpnc --natt-mode cisco-udp sends AM1
  r.c.offered = [];
  assert.equal(connect(r, 'labuser-password'), 1);
  const mid = 0x0a0b0c0d;
  const req = sealTx(
    r,
    mid,
    exchangeIv(r.c)(mid),
    1,
    21,
    [1, 28677].map((t) => tlv(t, new Uint8Array(0))),
  );
  const [rep] = r.deliver(GW_500, NAT_500, req.bytes);
  assert.ok(rep);
  const p = openTx(r, rep, req.nextIv);
  assert.ok(p.attr.kind === 'ATTR');
  const port = p.attr.attributes.find((a) => a.type === 28677);
  // basic (TV) form, value 10000 = 0x2710
  assert.deepEqual(port && [port.form, toHex(port.value)], ['tv', '2710']);
  const [sa] = r.gw.list();
  assert.equal(sa?.ciscoUdpPort, 10000);
  assert.equal(sa?.natt, undefined, 'IKE stays on 500 without NAT-T');
});

test('a wrong XAUTH password: CFG_SET with status 0, then a Delete; the SA is gone and auth-failed is reported', () => {
  const r = new Rig();
  assert.equal(connect(r, 'wrong-password'), 0);
  assert.equal(r.gw.list().length, 0);
  const failed = r.out.find((a) => a.kind === 'event' && a.event.kind === 'auth-failed');
  assert.ok(failed?.kind === 'event' && failed.event.kind === 'auth-failed');
  assert.match(failed.event.detail, /XAUTH failed for 'labuser'/);
  const sent = r.out.flatMap((a) => (a.kind === 'send' ? [decodeIsakmpMessage(a.bytes).header.exchangeType] : []));
  assert.equal(sent.at(-1), 5, 'an Informational (Delete) last');
});

test('Quick Mode before XAUTH completed is dropped', () => {
  const r = new Rig();
  const [m2] = r.deliver(GW_500, NAT_500, am1(r));
  assert.ok(m2 && am2(r, m2, 'labgroup-secret'));
  r.deliver(GW_4500, NAT_4500, am3(r));
  const mid = 77;
  const qm = sealProtected(
    r.c,
    32,
    mid,
    exchangeIv(r.c)(mid),
    [{ kind: 'No', nonce: new Uint8Array(16) }],
    () => new Uint8Array(20),
  );
  assert.deepEqual(r.deliver(GW_4500, NAT_4500, qm.bytes), []);
  assert.ok(r.logger.lines.some((l) => l.includes('Quick Mode before XAUTH completed')));
});

test('an unknown group gets no answer (no HASH_R to attack offline); a wrong group PSK fails HASH_R at the client and AM3 does not decrypt', () => {
  const r = new Rig();
  assert.deepEqual(r.deliver(GW_500, NAT_500, am1(r, 'othergroup')), []);
  assert.equal(r.gw.drops.get('no-sa'), 1);
  const w = new Rig();
  const [m2] = w.deliver(GW_500, NAT_500, am1(w));
  assert.ok(m2);
  assert.equal(am2(w, m2, 'not-the-group-secret'), false, 'HASH_R does not verify under another PSK');
  assert.deepEqual(w.deliver(GW_4500, NAT_4500, am3(w)), []);
  assert.equal(w.gw.list()[0]?.state, 'am2-sent', 'nothing established');
  assert.ok((w.gw.drops.get('undecryptable') ?? 0) >= 1);
});

test('the XAUTH status answered with a CFG_REPLY instead of CFG_ACK (charon without an XAUTH method) still ends the exchange: no retransmission', () => {
  const r = new Rig();
  assert.equal(connect(r, 'labuser-password', 2), 1);
  assert.equal(r.gw.list()[0]?.xauth?.state, 'done');
  assert.ok(r.logger.lines.some((l) => l.includes('XAUTH status answered with CFG type 2')));
  r.clock.advance(60_000);
  r.gw.tick();
  assert.equal(r.gw.takeActions().filter((a) => a.kind === 'send').length, 0);
});
