/**
 * TEST ONLY. A scripted vpnc for in-process gateway tests (ikev1-aggressive-xauth.test.ts,
 * ikev1-mode-config-gateway.test.ts). The esprit gateway's side of what vpnc does (RFC 2409 §5.4 Aggressive Mode PSK with a group
 * name as ID_KEY_ID, xauth-06 XAUTH generic, mode-cfg-05 Mode Config pull with Cisco Unity's
 * split include), against a scripted client in this file that builds vpnc's messages: AM1 with
 * XAUTHInitPreShared (65001) transforms and vpnc's VIDs, AM3 encrypted from port 4500, the
 * XAUTH CFG_REPLY and CFG_ACK, and vpnc's CFG_REQUEST. The client checks the gateway's HASH_R
 * and every Transaction HASH itself; expected Mode Config octets are hand-built (the Unity
 * split-include entry is address | mask | protocol | sport | dport, protocol-facts §3).
 */
import assert from 'node:assert/strict';
import { hash1, phase1Hash } from '../../src/crypto/ikev1/ikev1-keymat.js';
import type { Endpoint } from '../../src/ike/natd.js';
import type { Ikev1Action } from '../../src/ikev1/ikev1-actions.js';
import { Ikev1Engine } from '../../src/ikev1/ikev1-engine.js';
import type { Ikev1Sa } from '../../src/ikev1/ikev1-sa.js';
import { buildIsakmpNatd } from '../../src/ikev1/isakmp-natd.js';
import { deriveKeys, keAndNonce, takeKeyExchange } from '../../src/ikev1/main-mode.js';
import { encryptedMessage, payloadBody } from '../../src/ikev1/phase1-message.js';
import { parsePhase1Transform, phase1SaPayload, phase1Transforms } from '../../src/ikev1/phase1-proposal.js';
import { exchangeIv, openProtected, sealProtected } from '../../src/ikev1/phase2-message.js';
import { chooseNatt, offeredVariants, VID } from '../../src/ikev1/vendor-ids.js';
import { FakeClock } from '../../src/util/clock.js';
import { bytesEqual } from '../../src/util/hex.js';
import { parseIp } from '../../src/util/ip-addr.js';
import { MemoryLogger } from '../../src/util/logger.js';
import { SeededRng } from '../../src/util/rng.js';
import { decodeIsakmpMessage } from '../../src/wire/isakmp/isakmp-decode.js';
import { encodeIsakmpMessage } from '../../src/wire/isakmp/isakmp-encode.js';
import type { DataAttribute, IsakmpMessage, IsakmpPayload } from '../../src/wire/isakmp/isakmp-types.js';
import { configFromText } from './test-config.js';

export const GW = (o: { userPwd?: string; pool?: string; conn?: string } = {}) =>
  configFromText(`connections {
  vpnc {
    version = 1
    aggressive = yes
    local_addrs = 10.99.2.2
    proposals = aes128-sha1-modp1024
    pools = pool4
${o.conn ?? ''}
    local {
      auth = psk
      id = gw.lab
    }
    remote {
      auth = psk
      id = keyid:labgroup
    }
    remote-xauth {
      auth = xauth
      xauth_id = labuser
    }
    children {
      net {
        local_ts = 10.99.3.0/24, 192.168.7.0/25
        esp_proposals = aes128-sha1
      }
    }
  }
}
pools {
  pool4 {
    addrs = 10.99.100.0/24
    dns = 10.99.3.53
${o.pool ?? ''}
  }
}
secrets {
  ike-vpnc {
    id-group = keyid:labgroup
    secret = "labgroup-secret"
  }
  xauth-labuser {
    id = labuser
    secret = "${o.userPwd ?? 'labuser-password'}"
  }
}
`);

/** The client's own view: a connection only for keAndNonce/deriveKeys (proposals, encap). */
const CLIENT = configFromText(`connections {
  c {
    version = 1
    aggressive = yes
    remote_addrs = 10.99.2.2
    proposals = aes128-sha1-modp1024
    local {
      auth = psk
      id = keyid:labgroup
    }
    remote {
      auth = psk
    }
  }
}
`);

export const GW_500: Endpoint = { address: parseIp('10.99.2.2').bytes, port: 500 };
export const GW_4500: Endpoint = { address: parseIp('10.99.2.2').bytes, port: 4500 };
export const NAT_500: Endpoint = { address: parseIp('10.99.2.1').bytes, port: 20500 };
export const NAT_4500: Endpoint = { address: parseIp('10.99.2.1').bytes, port: 24500 };
const utf8 = new TextEncoder();

export class Rig {
  readonly clock = new FakeClock(1_000_000);
  readonly logger = new MemoryLogger();
  readonly gw: Ikev1Engine;
  readonly out: Ikev1Action[] = [];
  readonly rng = new SeededRng(5n);
  readonly c: Ikev1Sa;

  constructor(gwConf = GW()) {
    this.gw = new Ikev1Engine(gwConf, this.clock, new SeededRng(9n), this.logger);
    const conn = CLIENT.connections[0];
    assert.ok(conn);
    this.c = {
      id: 99,
      initiator: true,
      aggressive: true,
      conn,
      spiI: 0x1122334455667788n,
      spiR: 0n,
      state: 'mm1-sent',
      local: { address: parseIp('10.99.1.2').bytes, port: 500 },
      remote: GW_500,
      offered: offeredVariants('all'),
      localBehindNat: false,
      remoteBehindNat: false,
      localId: { type: 11, data: utf8.encode('labgroup') },
      sends: 0,
      createdAt: 0,
      children: [],
      vipsRemote: [],
    };
  }

  deliver(local: Endpoint, from: Endpoint, bytes: Uint8Array): IsakmpMessage[] {
    this.gw.receive(local, from, bytes);
    const a = this.gw.takeActions();
    this.out.push(...a);
    return a.flatMap((x) => (x.kind === 'send' ? [decodeIsakmpMessage(x.bytes)] : []));
  }
}

/** AM1 as vpnc builds it: SA (XAUTHInitPreShared), KE, Ni, IDii (KEY_ID, UDP 500), VIDs. */
export function am1(r: Rig, groupId = 'labgroup'): Uint8Array {
  const c = r.c;
  const saP = phase1SaPayload(phase1Transforms(c.conn.proposals, 65001, 28800));
  c.saiB = payloadBody(saP);
  const t = saP.kind === 'SA' ? saP.proposals[0]?.transforms[0] : undefined;
  assert.ok(t);
  const suite = parsePhase1Transform(t);
  assert.ok(typeof suite !== 'string');
  c.suite = suite;
  const ke = keAndNonce({ config: CLIENT, rng: r.rng }, c);
  const id: IsakmpPayload = { kind: 'ID', idType: 11, protocolId: 17, port: 500, data: utf8.encode(groupId) };
  const vids = [...c.offered.map((v) => v.vid), VID.XAUTH, VID.CISCO_UNITY, VID.DPD];
  return encodeIsakmpMessage({ spiI: c.spiI, spiR: 0n, exchangeType: 4, flags: 0, messageId: 0 }, [
    saP,
    ...ke,
    id,
    ...vids.map((data): IsakmpPayload => ({ kind: 'V', data })),
  ]);
}

/** Process AM2 on the client; returns whether HASH_R verified under `psk`. */
export function am2(r: Rig, msg: IsakmpMessage, psk: string): boolean {
  const c = r.c;
  c.spiR = msg.header.spiR;
  c.natt = chooseNatt(
    c.offered,
    msg.payloads.flatMap((p) => (p.kind === 'V' ? [p.data] : [])),
  );
  assert.equal(takeKeyExchange(c, msg), undefined);
  assert.equal(deriveKeys({ config: CLIENT, rng: r.rng }, c, c.gxr as Uint8Array, utf8.encode(psk)), undefined);
  const idr = msg.payloads.find((p) => p.kind === 'ID');
  const hash = msg.payloads.find((p) => p.kind === 'HASH');
  assert.ok(idr && hash?.kind === 'HASH' && c.keys && c.suite && c.gxi && c.gxr && c.saiB);
  const want = phase1Hash(c.suite.prf, c.keys.skeyid, false, c.gxi, c.gxr, c.spiI, c.spiR, c.saiB, payloadBody(idr));
  return bytesEqual(want, hash.data);
}

/** AM3 as vpnc sends it: encrypted HASH_I, N(INITIAL-CONTACT), NAT-D, NAT-D, from 4500. */
export function am3(r: Rig): Uint8Array {
  const c = r.c;
  assert.ok(c.keys && c.suite && c.gxi && c.gxr && c.saiB);
  const idi = payloadBody({ kind: 'ID', idType: 11, protocolId: 17, port: 500, data: utf8.encode('labgroup') });
  const hashI = phase1Hash(c.suite.prf, c.keys.skeyid, true, c.gxi, c.gxr, c.spiI, c.spiR, c.saiB, idi);
  const natd = c.natt ? buildIsakmpNatd(c.suite.prf, c.spiI, c.spiR, c.local, c.remote) : [];
  const bytes = encryptedMessage(c, [
    { kind: 'HASH', data: hashI },
    ...natd.map((hash): IsakmpPayload => ({ kind: 'NAT-D', draft: false, hash })),
  ]);
  c.phase1LastBlock = c.iv;
  return bytes;
}

/** Open a Transaction from the gateway (first message of its M-ID), checking its HASH. */
export function openTx(r: Rig, msg: IsakmpMessage, iv?: Uint8Array) {
  const c = r.c;
  const o = openProtected(c, msg, iv ?? exchangeIv(c)(msg.header.messageId));
  assert.ok(typeof o !== 'string', String(o));
  assert.ok(c.keys && c.suite);
  assert.ok(bytesEqual(o.hash, hash1(c.suite.prf, c.keys.skeyidA, msg.header.messageId, o.rest)), 'gateway HASH');
  const attr = o.payloads[0];
  assert.ok(attr?.kind === 'ATTR');
  return { attr, nextIv: o.nextIv };
}

export function sealTx(
  r: Rig,
  mid: number,
  iv: Uint8Array,
  cfgType: number,
  identifier: number,
  attributes: DataAttribute[],
) {
  const c = r.c;
  assert.ok(c.keys && c.suite);
  const { keys, suite } = c;
  return sealProtected(c, 6, mid, iv, [{ kind: 'ATTR', cfgType, identifier, attributes }], (rest) =>
    hash1(suite.prf, keys.skeyidA, mid, rest),
  );
}

export const tlv = (type: number, v: Uint8Array): DataAttribute => ({ type, form: 'tlv', value: v });
export const attrTypes = (as: readonly DataAttribute[]) => as.map((a) => a.type);

/** AM1..AM3 and the XAUTH round with `password`; returns the gateway's CFG_SET status. */
export function connect(r: Rig, password: string, ackType = 4): number {
  // HDR, SA, KE, Ni, IDii, VID* -->
  const [m2] = r.deliver(GW_500, NAT_500, am1(r));
  assert.ok(m2, 'AM2');
  assert.equal(m2.header.exchangeType, 4);
  assert.ok(am2(r, m2, 'labgroup-secret'), 'HASH_R verifies under the group PSK');
  // HDR*, HASH_I, NAT-D, NAT-D --> (vpnc floated to 4500 when NAT-T was negotiated)
  const [gwEp, natEp] = r.c.natt ? [GW_4500, NAT_4500] : [GW_500, NAT_500];
  const [req] = r.deliver(gwEp, natEp, am3(r));
  assert.ok(req, 'XAUTH request');
  assert.equal(req.header.exchangeType, 6);
  // <-- HDR*, HASH, ATTR(CFG_REQUEST: X_TYPE, X_USER, X_PWD)
  const q = openTx(r, req);
  assert.equal(q.attr.kind === 'ATTR' && q.attr.cfgType, 1);
  assert.deepEqual(q.attr.kind === 'ATTR' && attrTypes(q.attr.attributes), [16520, 16521, 16522]);
  // HDR*, HASH, ATTR(CFG_REPLY: user, password) -->
  const reply = sealTx(r, req.header.messageId, q.nextIv, 2, q.attr.kind === 'ATTR' ? q.attr.identifier : 0, [
    tlv(16521, utf8.encode('labuser')),
    tlv(16522, utf8.encode(password)),
  ]);
  const [set] = r.deliver(gwEp, natEp, reply.bytes);
  assert.ok(set, 'CFG_SET');
  // <-- HDR*, HASH, ATTR(CFG_SET: X_STATUS)
  const s = openTx(r, set);
  assert.ok(s.attr.kind === 'ATTR' && s.attr.cfgType === 3);
  const status = s.attr.attributes.find((a) => a.type === 16527);
  assert.ok(status);
  // HDR*, HASH, ATTR(CFG_ACK) -->
  const ack = sealTx(r, set.header.messageId, s.nextIv, ackType, s.attr.identifier, [status]);
  r.deliver(gwEp, natEp, ack.bytes);
  return ((status.value[0] ?? 0) << 8) | (status.value[1] ?? 0);
}
