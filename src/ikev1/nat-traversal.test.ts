/**
 * IKEv1 NAT-T pieces against strongSwan's and vpnc's bytes in the lab captures
 * (test/vectors/isakmp-captures.json, from ../shared/lab/captures via tshark):
 * - NAT-D hashes (RFC 3947 §3.2) that strongSwan 5.9.8 computed: Main Mode 3/4 of
 *   ikev1-natt.pcap (SHA2-256; client 10.99.1.2:500 behind the NAT, seen by the gw as
 *   10.99.2.1:25) and Aggressive Mode 2 of vpnc-natt.pcap (SHA1; vpnc seen as 10.99.2.1:251).
 *   Only the first hash (the destination) is a real one: charon with kernel-libipsec fakes its
 *   own-address hash with random bytes (isakmp_natd.c force_encap(): the backend reports
 *   KERNEL_REQUIRE_UDP_ENCAPSULATION), so each side sees the other "behind a NAT" -- which
 *   is why the lab's logs say "remote host is behind NAT" on both ends.
 * - the NAT-T variant chosen from the VIDs strongSwan and vpnc sent;
 * - the responder's phase 1 choice for strongSwan's Main Mode 1 under the lab gateway's
 *   proposals (../shared/lab/conf/gw/swanctl.conf; charon chose
 *   AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048, results/tunnel-test-ikev1.out).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseProposals } from '../config/proposal.js';
import { parseIp } from '../util/ip-addr.js';
import { decodeIsakmpMessage } from '../wire/isakmp/isakmp-decode.js';
import type { IsakmpMessage } from '../wire/isakmp/isakmp-types.js';
import { isakmpNatdHash, judgeIsakmpNatd } from './isakmp-natd.js';
import { selectPhase1 } from './phase1-proposal.js';
import { chooseNatt, offeredVariants } from './vendor-ids.js';

const V = JSON.parse(readFileSync(new URL('../../../test/vectors/isakmp-captures.json', import.meta.url), 'utf8')) as {
  messages: { capture: string; name: string; hex: string }[];
};
const msg = (capture: string, name: string): IsakmpMessage => {
  const v = V.messages.find((m) => m.capture === capture && m.name === name);
  assert.ok(v);
  return decodeIsakmpMessage(new Uint8Array(Buffer.from(v.hex, 'hex')));
};
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const natd = (m: IsakmpMessage): string[] => m.payloads.flatMap((p) => (p.kind === 'NAT-D' ? [toHex(p.hash)] : []));
const vids = (m: IsakmpMessage): Uint8Array[] => m.payloads.flatMap((p) => (p.kind === 'V' ? [p.data] : []));
const at = (a: string, port: number) => ({ address: parseIp(a).bytes, port });

test("strongSwan's NAT-D hashes (SHA2-256, Main Mode 3/4): first the destination, then the sender's own address", () => {
  const mm3 = msg('ikev1-natt.pcap', 'MM3');
  const mm4 = msg('ikev1-natt.pcap', 'MM4');
  const { spiI, spiR } = mm3.header;
  const h = (a: string, port: number) => toHex(isakmpNatdHash(5, spiI, spiR, at(a, port)));
  // MM3, sent by the client from 10.99.1.2:500 to 10.99.2.2:500 (before the NAT)
  assert.equal(natd(mm3)[0], h('10.99.2.2', 500));
  assert.notEqual(natd(mm3)[1], h('10.99.1.2', 500), 'faked (kernel-libipsec forces encapsulation)');
  // MM4, sent by the gw to the client as it sees it, 10.99.2.1:25
  assert.equal(natd(mm4)[0], h('10.99.2.1', 25));
  assert.notEqual(natd(mm4)[1], h('10.99.2.2', 500), 'faked');
  // The gw judging MM3: the gw is not behind a NAT; the client is (and says so by faking).
  const hashes = mm3.payloads.flatMap((p) => (p.kind === 'NAT-D' ? [p.hash] : []));
  assert.deepEqual(judgeIsakmpNatd(5, spiI, spiR, at('10.99.2.2', 500), at('10.99.2.1', 25), hashes), {
    localBehindNat: false,
    remoteBehindNat: true,
  });
  // The client judging MM4 (received on 10.99.1.2:500 from 10.99.2.2:500): it is behind the
  // NAT, and the faked hash makes the gw look behind one too (charon logged both).
  const h4 = mm4.payloads.flatMap((p) => (p.kind === 'NAT-D' ? [p.hash] : []));
  assert.deepEqual(judgeIsakmpNatd(5, spiI, spiR, at('10.99.1.2', 500), at('10.99.2.2', 500), h4), {
    localBehindNat: true,
    remoteBehindNat: true,
  });
  assert.equal(judgeIsakmpNatd(5, spiI, spiR, at('10.99.1.2', 500), at('10.99.2.2', 500), h4.slice(0, 1)), undefined);
});

test("strongSwan's NAT-D hashes for vpnc (SHA1, Aggressive Mode 2)", () => {
  const am2 = msg('vpnc-natt.pcap', 'AM2');
  const { spiI, spiR } = am2.header;
  const h = (a: string, port: number) => toHex(isakmpNatdHash(2, spiI, spiR, at(a, port)));
  assert.equal(natd(am2)[0], h('10.99.2.1', 251));
  assert.notEqual(natd(am2)[1], h('10.99.2.2', 500), 'faked');
});

test('the NAT-T variant from the VIDs strongSwan and vpnc sent: the highest both sides know', () => {
  const ss = vids(msg('ikev1-natt.pcap', 'MM1')); // RFC 3947, draft-02\n
  const vpnc = vids(msg('vpnc-natt.pcap', 'AM1')); // RFC 3947, 03, 02\n, 02, 01, 00
  const none = vids(msg('vpnc-none.pcap', 'AM1')); // --natt-mode none: no NAT-T VID
  assert.equal(chooseNatt(offeredVariants('all'), ss)?.variant, 'rfc');
  assert.equal(chooseNatt(offeredVariants('all'), vpnc)?.variant, 'rfc');
  assert.equal(
    chooseNatt(offeredVariants(['draft-03', 'draft-02n', 'draft-02', 'draft-01', 'draft-00']), ss)?.variant,
    'draft-02n',
  );
  assert.equal(chooseNatt(offeredVariants(['draft-03', 'draft-00']), vpnc)?.variant, 'draft-03');
  assert.equal(chooseNatt(offeredVariants(['draft-01', 'draft-00']), vpnc)?.variant, 'draft-01');
  assert.equal(chooseNatt(offeredVariants(['draft-00']), ss), undefined);
  assert.equal(chooseNatt(offeredVariants('all'), none), undefined);
  assert.equal(chooseNatt(offeredVariants('none'), vpnc), undefined);
});

test("strongSwan's Main Mode 1 under the lab gateway's IKEv1 proposals: AES-CBC-128, SHA2-256, MODP-2048, PSK", () => {
  const sa = msg('ikev1-natt.pcap', 'MM1').payloads[0];
  assert.ok(sa?.kind === 'SA');
  const gw = parseProposals(
    'ike',
    'aes128-sha256-modp2048, aes128-sha1-modp2048, aes256-sha1-modp1024, aes128-sha1-modp1024, 3des-sha1-modp1024, 3des-md5-modp1024, aes256-sha1-modp1536',
    'proposals',
    1,
  );
  const sel = selectPhase1(sa, gw, 1);
  assert.deepEqual(sel?.suite, {
    encr: 12,
    keyBits: 128,
    prf: 5,
    integ: 12,
    group: 14,
    authMethod: 1,
    lifetimeSeconds: 15840,
  });
  assert.equal(selectPhase1(sa, gw, 65001), undefined, 'not for XAUTH PSK');
  assert.equal(selectPhase1(sa, parseProposals('ike', '3des-md5-modp1024', 'p', 1), 1), undefined);
  // vpnc's 24 transforms under the same list: its first, AES-256 SHA1 group 2, but XAUTHInitPreShared
  const am1 = msg('vpnc-natt.pcap', 'AM1').payloads[0];
  assert.ok(am1?.kind === 'SA');
  assert.deepEqual(selectPhase1(am1, gw, 65001)?.suite, {
    encr: 12,
    keyBits: 256,
    prf: 2,
    integ: 2,
    group: 2,
    authMethod: 65001,
    lifetimeSeconds: 2147483,
  });
});
