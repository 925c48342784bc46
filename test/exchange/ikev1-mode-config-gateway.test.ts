/**
 * Mode Config as a gateway beyond address/DNS (mode-cfg-05 §3.2-§3.3, Cisco Unity attributes
 * of protocol-facts §3): attributes from swanctl `pools` (strongSwan's named and numbered
 * keys), requested attributes esprit does not know left out of the reply, and push (`pull =
 * no`: CFG_SET -> the client's CFG_ACK). The client is the scripted vpnc of
 * ikev1-scripted-vpnc.ts, which checks every HASH itself; expected attribute octets are
 * hand-built below (ASCII of the configured texts; Unity ACL entries address | mask |
 * protocol | sport | dport, 14 octets).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hash1 } from '../../src/crypto/ikev1/ikev1-keymat.js';
import { exchangeIv, openProtected } from '../../src/ikev1/phase2-message.js';
import { bytesEqual, toHex } from '../../src/util/hex.js';
import { decodeIsakmpMessage } from '../../src/wire/isakmp/isakmp-decode.js';
import { Ikev1Pair } from './ikev1-pair.js';
import { connect, GW, GW_4500, NAT_4500, openTx, Rig, sealTx, tlv } from './ikev1-scripted-vpnc.js';
import { configFromText } from './test-config.js';

const POOL_ATTRS = `    netmask = 255.255.255.0
    28672 = "Welcome to the lab"
    28673 = 1
    UNITY_DEF_DOMAIN = lab.example
    28675 = "corp.example,lab.example"
    split_include = 10.1.0.0/16, 172.16.5.0/24
    split_exclude = 192.168.1.0/24
    28679 = 0
    28690 = 10.99.3.54`;

/** [type, form, hex] of each attribute, in order. */
const shape = (as: readonly { type: number; form: string; value: Uint8Array }[]) =>
  as.map((a) => [a.type, a.form, toHex(a.value)]);

test('pull: pool attributes (netmask, Unity banner, save-password, default domain, split DNS, split include and exclude, PFS, a numbered address) answered in config order; unknown requests left out', () => {
  const r = new Rig(GW({ pool: POOL_ATTRS }));
  assert.equal(connect(r, 'labuser-password'), 1);
  // HDR*, HASH, ATTR(CFG_REQUEST) --> vpnc's request (protocol-facts §3) with 21 and 32136 (vpnc's
  // undocumented ones) and 28680/28682 (FW type, DDNS hostname), which esprit does not answer
  const mid = 0x11223344;
  const asked = [7, 28682, 28675, 28676, 28673, 28672, 28679, 28680, 28674, 4, 3, 2, 1, 21, 32136];
  const req = sealTx(
    r,
    mid,
    exchangeIv(r.c)(mid),
    1,
    20,
    asked.map((t) => tlv(t, new Uint8Array(0))),
  );
  const [rep] = r.deliver(GW_4500, NAT_4500, req.bytes);
  assert.ok(rep, 'a reply, not a refusal');
  // <-- HDR*, HASH, ATTR(CFG_REPLY)
  const p = openTx(r, rep, req.nextIv);
  assert.ok(p.attr.kind === 'ATTR' && p.attr.cfgType === 2);
  const ascii = (s: string) => Buffer.from(s, 'latin1').toString('hex');
  assert.deepEqual(shape(p.attr.attributes), [
    [1, 'tlv', '0a636401'],
    [3, 'tlv', '0a630335'],
    [2, 'tlv', 'ffffff00'],
    [28672, 'tlv', ascii('Welcome to the lab')],
    [28673, 'tv', '0001'],
    [28674, 'tlv', ascii('lab.example')],
    [28675, 'tlv', ascii('corp.example,lab.example')],
    // the pool's split include replaces the one from the children's local_ts
    [28676, 'tlv', '0a010000ffff0000000000000000' + 'ac100500ffffff00000000000000'],
    [28678, 'tlv', 'c0a80100ffffff00000000000000'],
    [28679, 'tv', '0000'],
    [28690, 'tlv', '0a630336'],
  ]);
  // the same bytes on the wire: the banner as TLV 70 00 | 00 12 | text, PFS as TV F0 07 | 00 00
  assert.ok(rep.encrypted);
});

test('pull without pool attributes: a request of only unknown attributes gets an empty reply, not a failure', () => {
  const r = new Rig();
  assert.equal(connect(r, 'labuser-password'), 1);
  const mid = 0x55667788;
  const req = sealTx(
    r,
    mid,
    exchangeIv(r.c)(mid),
    1,
    7,
    [21, 32136, 28680].map((t) => tlv(t, new Uint8Array(0))),
  );
  const [rep] = r.deliver(GW_4500, NAT_4500, req.bytes);
  assert.ok(rep);
  const p = openTx(r, rep, req.nextIv);
  assert.ok(p.attr.kind === 'ATTR' && p.attr.cfgType === 2);
  assert.deepEqual(p.attr.attributes, []);
  assert.equal(r.gw.list()[0]?.state, 'established');
});

test('push (pull = no): after XAUTH the gateway sends CFG_SET with the address, DNS, pool attributes and split include; the client CFG_ACK completes it; retransmitted until acknowledged', () => {
  const r = new Rig(GW({ conn: '    pull = no', pool: '    28672 = "hi"' }));
  assert.equal(connect(r, 'labuser-password'), 1);
  const sends = r.out.filter((a) => a.kind === 'send');
  const last = sends.at(-1);
  assert.ok(last?.kind === 'send');
  const set = decodeIsakmpMessage(last.bytes);
  assert.equal(set.header.exchangeType, 6);
  // <-- HDR*, HASH, ATTR(CFG_SET: ADDR, DNS, BANNER, SPLIT_INC), a new exchange
  const s = openTx(r, set);
  assert.ok(s.attr.kind === 'ATTR' && s.attr.cfgType === 3);
  assert.deepEqual(shape(s.attr.attributes), [
    [1, 'tlv', '0a636401'],
    [3, 'tlv', '0a630335'],
    [28672, 'tlv', '6869'],
    [28676, 'tlv', '0a630300ffffff00000000000000' + 'c0a80700ffffff80000000000000'],
  ]);
  const [sa] = r.gw.list();
  assert.deepEqual(
    sa?.vipsRemote.map((v) => toHex(v)),
    ['0a636401'],
  );
  // unanswered: the same CFG_SET again after the first retransmit timeout
  r.clock.advance(5_000);
  r.gw.tick();
  const again = r.gw.takeActions().find((a) => a.kind === 'send');
  assert.ok(again?.kind === 'send' && bytesEqual(again.bytes, last.bytes));
  // HDR*, HASH, ATTR(CFG_ACK: ADDR, DNS) -->
  const ack = sealTx(r, set.header.messageId, s.nextIv, 4, s.attr.identifier, [
    tlv(1, new Uint8Array(0)),
    tlv(3, new Uint8Array(0)),
  ]);
  assert.deepEqual(r.deliver(GW_4500, NAT_4500, ack.bytes), []);
  assert.ok(r.logger.lines.some((l) => l.includes('Mode Config push acknowledged')));
  r.clock.advance(60_000);
  r.gw.tick();
  assert.equal(r.gw.takeActions().filter((a) => a.kind === 'send').length, 0, 'no retransmission after the ACK');
});

test('pull (the default): no CFG_SET after XAUTH', () => {
  const r = new Rig();
  assert.equal(connect(r, 'labuser-password'), 1);
  const sends = r.out.flatMap((a) => (a.kind === 'send' ? [decodeIsakmpMessage(a.bytes)] : []));
  // the last Transaction the gateway sent is the XAUTH CFG_SET(STATUS): no CFG_SET follows the
  // ACK. After XAUTH only an Informational (5) may follow: RESPONDER-LIFETIME, since the scripted
  // vpnc offers 28800 s and the gateway's own phase 1 lifetime (4 h + 10 %) is lower
  const i = sends.map((m) => m.header.exchangeType).lastIndexOf(6);
  const last = sends[i];
  assert.ok(last);
  assert.deepEqual(
    sends.slice(i + 1).map((m) => m.header.exchangeType),
    [5],
  );
  const s = openTx(r, last);
  assert.ok(s.attr.kind === 'ATTR');
  assert.deepEqual(
    s.attr.attributes.map((a) => a.type),
    [16527],
  );
});

test('pool attribute errors name the key: reserved numbers, IPv6 in a Unity split list, a non-number for PFS, an unknown name', () => {
  const conf = (line: string) => `connections {
  c {
    version = 1
    pools = p
    local {
      auth = psk
    }
    remote {
      auth = psk
    }
  }
}
pools {
  p {
    addrs = 10.0.0.0/24
    ${line}
  }
}
`;
  assert.throws(
    () => configFromText(conf('28677 = 10000')),
    /pools\.p\.28677: attribute 28677 is set by esprit itself/,
  );
  assert.throws(
    () => configFromText(conf('split_include = fd00::/8')),
    /pools\.p\.split_include: 'fd00::\/8': Unity split lists are IPv4 only/,
  );
  assert.throws(() => configFromText(conf('28679 = yes')), /pools\.p\.28679: attribute 28679 takes a number 0-65535/);
  assert.throws(() => configFromText(conf('banner = hi')), /pools\.p\.banner: unknown key/);
  assert.throws(() => configFromText(conf('server = 10.0.0.1')), /pools\.p\.server: not supported by esprit/);
  const ok = configFromText(conf('split_exclude = 192.168.0.0/16'));
  assert.deepEqual(ok.pools[0]?.attributes, [{ type: 28678, kind: 'acl', values: ['192.168.0.0/16'] }]);
});

test('push without XAUTH (Main Mode, pull = no): the CFG_SET follows phase 1 at once', () => {
  const mm = (side: 'i' | 'r') =>
    configFromText(`connections {
  mm {
    version = 1
    ${side === 'i' ? 'local_addrs = 10.99.1.2\n    remote_addrs = 10.99.2.2' : 'local_addrs = 10.99.2.2\n    pull = no\n    pools = p'}
    proposals = aes128-sha1-modp1024
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
pools {
  p {
    addrs = 10.99.100.0/24
    28674 = lab.example
  }
}
secrets {
  ike-mm {
    id-a = gw.esprit.test
    id-b = client.esprit.test
    secret = "main-mode-secret"
  }
}
`);
  const p = new Ikev1Pair(mm('i'), mm('r'));
  p.initiate('mm');
  for (let n = 0; n < 6; n++) p.deliver(p.next()); // MM1 .. MM6
  const fromR = p.wire.filter((d) => d.from === 'r');
  assert.equal(fromR.length, 1, 'the gateway sends one message after MM6');
  const d = fromR[0];
  assert.ok(d);
  const msg = decodeIsakmpMessage(d.bytes);
  assert.equal(msg.header.exchangeType, 6, 'a Transaction');
  // <-- HDR*, HASH, ATTR(CFG_SET: ADDR, DEF_DOMAIN), opened with the client's own keys
  const [ci] = p.i.engine.list();
  assert.ok(ci?.keys && ci.suite);
  const o = openProtected(ci, msg, exchangeIv(ci)(msg.header.messageId));
  assert.ok(typeof o !== 'string', String(o));
  assert.ok(bytesEqual(o.hash, hash1(ci.suite.prf, ci.keys.skeyidA, msg.header.messageId, o.rest)), 'HASH');
  const attr = o.payloads[0];
  assert.ok(attr?.kind === 'ATTR' && attr.cfgType === 3);
  assert.deepEqual(shape(attr.attributes), [
    [1, 'tlv', '0a636401'],
    [28674, 'tlv', Buffer.from('lab.example').toString('hex')],
  ]);
});
