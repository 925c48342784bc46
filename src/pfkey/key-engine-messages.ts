/**
 * Messages the key engine builds itself: reply headers, error-reply headers, SPD replies and
 * the engine-originated ACQUIRE and X_NAT_T_NEW_MAPPING. docs/pfkey.md "Key engine semantics".
 *
 *   ACQUIRE      HDR | ADDRESS_SRC | ADDRESS_DST | [X_SA2 (kame)] | X_POLICY | PROPOSAL
 *   NEW_MAPPING  HDR | SA | ADDRESS_SRC (old) | X_NAT_T_SPORT (old) | ADDRESS_DST (new) |
 *                X_NAT_T_DPORT (new) | X_SA2
 *   SPD reply    HDR | ADDRESS_SRC | ADDRESS_DST | LIFETIME_HARD/SOFT/CURRENT | X_POLICY
 */
import type { AcquireRequest } from '../sad/acquire.js';
import type { MappingChange } from '../sad/sa-entry.js';
import type { Policy } from '../sad/spd.js';
import {
  IPSEC_DIR,
  IPSEC_POLICY,
  PF_KEY_V2,
  type PfkeyDialect,
  type PfkeyExt,
  type PfkeyMessage,
  SADB_MSG,
  SADB_SATYPE,
  type SadbMsgHeader,
} from '../wire/pfkey/index.js';
import { addressExt } from './key-engine-sa.js';
import { policyExtensions } from './key-engine-spd.js';
import { proposalCombs } from './pfkey-algorithms.js';

/** Header fields a reply takes over from the request. */
export interface ReplyHeader {
  type: number;
  satype: number;
  seq: number;
  pid: number;
}

/** The reply header: type, seq and pid of the request (RFC 2367 §3.1; Linux copies them). */
export function replyHeader(h: SadbMsgHeader, satype: number): ReplyHeader {
  return { type: h.type, satype, seq: h.seq, pid: h.pid };
}

export function policyMessage(p: Policy, h: ReplyHeader): PfkeyMessage {
  return {
    header: { version: PF_KEY_V2, type: h.type, errno: 0, satype: h.satype, seq: h.seq, pid: h.pid },
    extensions: policyExtensions(p),
  };
}

/** Whatever header fields a message too broken to decode still has (zeros past its end). */
export function rawHeader(b: Uint8Array): SadbMsgHeader {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const u8 = (o: number) => (o < b.length ? (b[o] as number) : 0);
  const u32 = (o: number) => (o + 4 <= b.length ? v.getUint32(o, true) : 0);
  return { version: PF_KEY_V2, type: u8(1), errno: 0, satype: u8(3), seq: u32(8), pid: u32(12) };
}

/**
 * SADB_ACQUIRE (RFC 2367 §3.1.6; Linux pfkey_send_acquire): ADDRESS_SRC/DST = the SA's
 * endpoints, X_POLICY (type IPSEC, dir OUTBOUND, the policy's id and priority), PROPOSAL
 * (replay 32). KAME also gets X_SA2 (mode, reqid), as KAME key_acquire sends it.
 */
export function acquireMessage(req: AcquireRequest, d: PfkeyDialect): PfkeyMessage {
  const ext: PfkeyExt[] = [addressExt('ADDRESS_SRC', req.src), addressExt('ADDRESS_DST', req.dst)];
  if (d === 'kame') ext.push({ ext: 'X_SA2', mode: req.mode === 'tunnel' ? 2 : 1, sequence: 0, reqid: req.reqid });
  ext.push(
    {
      ext: 'X_POLICY',
      policyType: IPSEC_POLICY.IPSEC,
      dir: IPSEC_DIR.OUTBOUND,
      id: req.policy.id,
      priority: req.policy.priority,
      requests: [],
    },
    { ext: 'PROPOSAL', replay: 32, combs: proposalCombs(d) },
  );
  return {
    header: { version: PF_KEY_V2, type: SADB_MSG.ACQUIRE, errno: 0, satype: SADB_SATYPE.ESP, seq: req.seq, pid: 0 },
    extensions: ext,
  };
}

/**
 * SADB_X_NAT_T_NEW_MAPPING for the inbound SA `c.sa`, whose peer moved from `c.old` to `c.new`.
 * Linux pfkey_send_new_mapping: HDR | SA | ADDRESS_SRC (old) | NAT_T_SPORT (old) | ADDRESS_DST
 * (new) | NAT_T_DPORT (new); seq = the seq of the message that made the SA, pid 0. X_SA2 added
 * (strongSwan's kernel-pfkey process_mapping needs its reqid).
 */
export function newMappingMessage(spi: number, seq: number, c: MappingChange): PfkeyMessage {
  return {
    header: { version: PF_KEY_V2, type: SADB_MSG.X_NAT_T_NEW_MAPPING, errno: 0, satype: SADB_SATYPE.ESP, seq, pid: 0 },
    extensions: [
      { ext: 'SA', spi, replay: 0, state: 0, auth: 0, encrypt: 0, flags: 0 },
      addressExt('ADDRESS_SRC', c.old.addr),
      { ext: 'X_NAT_T_SPORT', port: c.old.port },
      addressExt('ADDRESS_DST', c.new.addr),
      { ext: 'X_NAT_T_DPORT', port: c.new.port },
      {
        ext: 'X_SA2',
        mode: c.sa.mode === 'tunnel' ? 2 : c.sa.mode === 'transport' ? 1 : 0,
        sequence: 0,
        reqid: c.sa.reqid,
      },
    ],
  };
}
