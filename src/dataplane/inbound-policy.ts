/**
 * Inbound policy check after decapsulation (RFC 4301 §5.2 step 4; RFC 3948 §3.1.1 option 1
 * "check that the source address is within the policy's address space"): the decrypted
 * packet must match an ipsec policy whose request names the SA it arrived on. Otherwise
 * a peer holding valid keys could inject traffic for addresses it was never given.
 *
 *   inner tuple ──SPD 'in'──> policy ── ipsec? ── some request r with
 *               └─SPD 'fwd'─┘               r.mode = SA mode
 *                                           r.reqid = SA reqid   (level unique only, as Linux)
 *                                           tunnel: r.tunnel.dst = SA dst, and
 *                                                   r.tunnel.src = SA src (now or as first seen) or any
 *
 * 'in' is tried before 'fwd' (a packet for this host, then one to forward); either passing
 * accepts it. This is Linux xfrm_state_ok() against the policy's templates.
 */
import type { SaEntry } from '../sad/sa-entry.js';
import type { PacketTuple } from '../sad/selector.js';
import type { IpsecRequest, Policy, Spd } from '../sad/spd.js';
import type { IpAddr } from '../util/ip-addr.js';
import { sameBytes } from './listener.js';

function isAny(a: IpAddr): boolean {
  for (const b of a.bytes) if (b !== 0) return false;
  return true;
}

/**
 * Whether request `r` names SA `entry`. `firstSrc` is the peer address the SA had when the
 * data plane first saw it: the key engine moves an SA on a NAT mapping change (RFC 7296
 * §2.23) but policies keep the endpoints they were installed with.
 */
export function requestMatchesSa(r: IpsecRequest, entry: SaEntry, firstSrc: IpAddr | undefined): boolean {
  if (r.proto !== 'esp' || r.mode !== entry.mode) return false;
  if (r.level === 'unique' && r.reqid !== 0 && r.reqid !== entry.reqid) return false;
  if (r.mode === 'transport') return true;
  const t = r.tunnel;
  if (!t) return false;
  if (!sameBytes(t.dst.bytes, entry.dst.bytes)) return false;
  return (
    isAny(t.src) ||
    sameBytes(t.src.bytes, entry.src.bytes) ||
    (firstSrc !== undefined && sameBytes(t.src.bytes, firstSrc.bytes))
  );
}

function passes(p: Policy | undefined, entry: SaEntry, firstSrc: IpAddr | undefined): boolean {
  if (!p || p.action !== 'ipsec') return false;
  for (const r of p.requests) if (requestMatchesSa(r, entry, firstSrc)) return true;
  return false;
}

/** RFC 4301 §5.2: may the decapsulated packet with `tuple`, received on `entry`, be delivered? */
export function inboundPolicyAllows(
  spd: Spd,
  tuple: PacketTuple,
  entry: SaEntry,
  firstSrc: IpAddr | undefined,
): boolean {
  return passes(spd.lookup('in', tuple), entry, firstSrc) || passes(spd.lookup('fwd', tuple), entry, firstSrc);
}
