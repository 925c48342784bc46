/**
 * Security Policy Database (RFC 4301 §4.4.1), sans-IO. Policies are kept per direction
 * and address family in arrays sorted by (priority, insertion rank): lookup walks one array
 * and returns the first match, without allocating. docs/sad-spd.md states the rules.
 *
 *   lookup(dir, tuple)
 *        |
 *   byDir[dir][family] = [ p(prio 0, rank 3), p(prio 0, rank 7), p(prio 100, rank 1), ... ]
 *                          first match wins (lowest priority value, then earliest inserted)
 */
import { PfkeyError } from '../util/errors.js';
import type { IpAddr } from '../util/ip-addr.js';
import { Errno } from './errno.js';
import type { Mode } from './sa-config.js';
import {
  type CompiledSelector,
  canonicalSelector,
  compileSelector,
  loadTupleWords,
  type PacketTuple,
  PORT_ANY,
  PROTO_ANY,
  type Selector,
  selectorKey,
} from './selector.js';

/** Policy direction; PF_KEY IPSEC_DIR_INBOUND 1, OUTBOUND 2, FWD 3 (linux ipsec.h). */
export type Direction = 'in' | 'out' | 'fwd';
/** IPSEC_POLICY_DISCARD 0, NONE 1 (bypass), IPSEC 2 (linux ipsec.h). */
export type PolicyAction = 'discard' | 'none' | 'ipsec';
/** IPSEC_LEVEL_DEFAULT 0, USE 1, REQUIRE 2, UNIQUE 3 (linux ipsec.h). */
export type Level = 'default' | 'use' | 'require' | 'unique';

/** One sadb_x_ipsecrequest: the SA a matching packet must use (RFC 4301 §4.4.1.2 "processing info"). */
export interface IpsecRequest {
  readonly proto: 'esp';
  readonly mode: Mode;
  /** outer addresses, tunnel mode only */
  readonly tunnel?: { readonly src: IpAddr; readonly dst: IpAddr };
  readonly level: Level;
  /** u32; 0 = none. Only meaningful with level 'unique' on Linux (protocol-facts §4.6). */
  readonly reqid: number;
}

export interface PolicySpec {
  readonly selector: Selector;
  readonly dir: Direction;
  readonly action: PolicyAction;
  /** required non-empty for 'ipsec', must be empty otherwise */
  readonly requests: readonly IpsecRequest[];
  /** u32, lower value = higher precedence (Linux sadb_x_policy_priority) */
  readonly priority: number;
}

export interface Policy extends PolicySpec {
  /** u32 policy index (sadb_x_policy_id); low 3 bits = direction, as Linux xfrm_gen_index */
  readonly id: number;
  /** insertion rank: ties in priority go to the smaller rank */
  readonly rank: number;
}

interface Slot {
  readonly policy: Policy;
  readonly sel: CompiledSelector;
  readonly key: string;
}

const DIRS: readonly Direction[] = ['in', 'out', 'fwd'];
/** XFRM_POLICY_IN 0, OUT 1, FWD 2: the value Linux puts in the low bits of the index. */
const XFRM_DIR: Record<Direction, number> = { in: 0, out: 1, fwd: 2 };
const U32 = 0x1_0000_0000;

/** Direction encoded in a policy id (Linux xfrm_policy_id2dir: id & 7), or undefined when invalid. */
export function policyIdDir(id: number): Direction | undefined {
  return DIRS[id & 7];
}

function bad(detail: string): never {
  throw new PfkeyError(Errno.EINVAL, detail);
}

function isU32(v: number): boolean {
  return Number.isInteger(v) && v >= 0 && v < U32;
}

function validate(spec: PolicySpec): PolicySpec {
  if (!DIRS.includes(spec.dir)) bad(`policy: bad direction ${String(spec.dir)}`);
  if (!isU32(spec.priority)) bad(`policy: priority ${spec.priority} is not a u32`);
  const selector = canonicalSelector(spec.selector);
  if (spec.action === 'ipsec') {
    if (spec.requests.length === 0) bad('policy: action ipsec needs at least one ipsecrequest');
  } else if (spec.action === 'discard' || spec.action === 'none') {
    if (spec.requests.length !== 0) bad(`policy: action ${spec.action} takes no ipsecrequest`);
  } else {
    bad(`policy: bad action ${String(spec.action)}`);
  }
  spec.requests.forEach((r, i) => {
    if (r.proto !== 'esp') bad(`policy.requests[${i}]: only esp is supported`);
    if (!isU32(r.reqid)) bad(`policy.requests[${i}]: reqid ${r.reqid} is not a u32`);
    if (r.mode === 'tunnel') {
      // linux af_key parse_ipsecrequest: the sockaddr pair is present only in tunnel mode
      if (!r.tunnel) bad(`policy.requests[${i}]: tunnel mode needs tunnel endpoints`);
      if (r.tunnel.src.family !== r.tunnel.dst.family) bad(`policy.requests[${i}]: tunnel endpoint families differ`);
    } else if (r.mode !== 'transport') {
      bad(`policy.requests[${i}]: bad mode ${String(r.mode)}`);
    }
  });
  return { ...spec, selector, requests: spec.requests.slice() };
}

function before(a: Policy, b: Policy): boolean {
  return a.priority < b.priority || (a.priority === b.priority && a.rank < b.rank);
}

export class Spd {
  /** [dir][0 = IPv4, 1 = IPv6] -> slots sorted by (priority, rank) */
  private lists: Record<Direction, [Slot[], Slot[]]> = { in: [[], []], out: [[], []], fwd: [[], []] };
  /** the same lists packed into one Int32Array each for a cache-friendly scan; rebuilt lazily */
  private packed: Record<Direction, [Int32Array | undefined, Int32Array | undefined]> = {
    in: [undefined, undefined],
    out: [undefined, undefined],
    fwd: [undefined, undefined],
  };
  private readonly byKey = new Map<string, Slot>();
  private readonly byId = new Map<number, Slot>();
  private nextRank = 1;
  /** Linux idx_generator: advances by 8, direction ORed into the low bits */
  private idGen = 0;
  private readonly scratchSrc = new Int32Array(4);
  private readonly scratchDst = new Int32Array(4);

  get size(): number {
    return this.byId.size;
  }

  /** SPDADD. Throws EEXIST when a policy with the same selector and direction exists, EINVAL on bad input. */
  add(spec: PolicySpec): Policy {
    const s = validate(spec);
    const key = `${s.dir} ${selectorKey(s.selector)}`;
    if (this.byKey.has(key)) throw new PfkeyError(Errno.EEXIST, `policy ${key} exists`);
    return this.insert(s, key, this.allocId(s.dir), this.nextRank++);
  }

  /**
   * SPDUPDATE: replace the policy with the same selector and direction, or add it. The
   * replacement keeps the old id (Linux xfrm_policy_insert reuses delpol->index) and, when
   * the priority is unchanged, the old position among equal priorities (xfrm_policy_insert_list).
   */
  update(spec: PolicySpec): Policy {
    const s = validate(spec);
    const key = `${s.dir} ${selectorKey(s.selector)}`;
    const old = this.byKey.get(key);
    if (!old) return this.insert(s, key, this.allocId(s.dir), this.nextRank++);
    this.unlink(old);
    const rank = old.policy.priority === s.priority ? old.policy.rank : this.nextRank++;
    return this.insert(s, key, old.policy.id, rank);
  }

  /** SPDDELETE by selector and direction. Throws ENOENT when absent (linux pfkey_spddelete). */
  delete(selector: Selector, dir: Direction): Policy {
    const key = `${dir} ${selectorKey(canonicalSelector(selector))}`;
    const slot = this.byKey.get(key);
    if (!slot) throw new PfkeyError(Errno.ENOENT, `no policy ${key}`);
    this.unlink(slot);
    return slot.policy;
  }

  /** SPDDELETE2. Throws EINVAL when the id's direction bits are invalid, ENOENT when absent (linux pfkey_spdget). */
  deleteById(id: number): Policy {
    const p = this.getById(id);
    const slot = this.byId.get(p.id);
    if (slot) this.unlink(slot);
    return p;
  }

  /** SPDGET. Same errors as deleteById. */
  getById(id: number): Policy {
    if (!isU32(id) || policyIdDir(id) === undefined) bad(`policy id ${id}: invalid direction bits`);
    const slot = this.byId.get(id);
    if (!slot) throw new PfkeyError(Errno.ENOENT, `no policy with id ${id}`);
    return slot.policy;
  }

  /** Exact selector + direction lookup (no ENOENT; for the key engine's own checks). */
  find(selector: Selector, dir: Direction): Policy | undefined {
    return this.byKey.get(`${dir} ${selectorKey(canonicalSelector(selector))}`)?.policy;
  }

  /** SPDDUMP: directions in, out, fwd; within each, evaluation order (IPv4 list, then IPv6). */
  dump(): Policy[] {
    const out: Policy[] = [];
    for (const d of DIRS) for (const list of this.lists[d]) for (const s of list) out.push(s.policy);
    return out;
  }

  /** SPDFLUSH: remove every policy, returning them in dump order. */
  flush(): Policy[] {
    const all = this.dump();
    for (const d of DIRS) {
      this.lists[d] = [[], []];
      this.packed[d] = [undefined, undefined];
    }
    this.byKey.clear();
    this.byId.clear();
    return all;
  }

  /**
   * RFC 4301 §4.4.1: the first policy, in (priority ascending, insertion ascending) order,
   * whose selector matches the packet. Undefined when none matches (the caller's default
   * applies). Allocation-free.
   */
  lookup(dir: Direction, t: PacketTuple): Policy | undefined {
    const len = t.src.length;
    if (len !== t.dst.length || (len !== 4 && len !== 16)) return undefined;
    const fam = len === 4 ? 0 : 1;
    const list = this.lists[dir][fam];
    if (list.length === 0) return undefined;
    const packed = this.packed[dir][fam] ?? this.pack(dir, fam);
    const src = this.scratchSrc;
    const dst = this.scratchDst;
    loadTupleWords(t, src, dst);
    const words = fam === 0 ? 1 : 4;
    const stride = 4 * words + 3;
    const proto = t.proto;
    const sport = t.sport;
    const dport = t.dport;
    for (let i = 0, o = 0; i < list.length; i++, o += stride) {
      let w = 0;
      for (; w < words; w++) {
        const b = o + 4 * w;
        if ((((src[w] as number) ^ (packed[b] as number)) & (packed[b + 1] as number)) !== 0) break;
        if ((((dst[w] as number) ^ (packed[b + 2] as number)) & (packed[b + 3] as number)) !== 0) break;
      }
      if (w !== words) continue;
      const b = o + 4 * words;
      const p = packed[b] as number;
      if (p !== PROTO_ANY && p !== proto) continue;
      const sp = packed[b + 1] as number;
      if (sp !== PORT_ANY && sp !== sport) continue;
      const dp = packed[b + 2] as number;
      if (dp !== PORT_ANY && dp !== dport) continue;
      return (list[i] as Slot).policy;
    }
    return undefined;
  }

  /** Pack one list: per policy, per address word [src, srcMask, dst, dstMask], then proto, sport, dport. */
  private pack(dir: Direction, fam: 0 | 1): Int32Array {
    const list = this.lists[dir][fam];
    const words = fam === 0 ? 1 : 4;
    const stride = 4 * words + 3;
    const out = new Int32Array(list.length * stride);
    list.forEach((slot, i) => {
      const c = slot.sel;
      const o = i * stride;
      for (let w = 0; w < words; w++) {
        out[o + 4 * w] = c.srcWords[w] as number;
        out[o + 4 * w + 1] = c.srcMask[w] as number;
        out[o + 4 * w + 2] = c.dstWords[w] as number;
        out[o + 4 * w + 3] = c.dstMask[w] as number;
      }
      out[o + 4 * words] = c.proto;
      out[o + 4 * words + 1] = c.sport;
      out[o + 4 * words + 2] = c.dport;
    });
    this.packed[dir][fam] = out;
    return out;
  }

  private allocId(dir: Direction): number {
    // linux xfrm_gen_index: idx = generator | dir; generator += 8; 0 becomes 8; skip ids in use
    for (;;) {
      let id = (this.idGen | XFRM_DIR[dir]) >>> 0;
      this.idGen = (this.idGen + 8) % U32;
      if (id === 0) id = 8;
      if (!this.byId.has(id)) return id;
    }
  }

  private insert(s: PolicySpec, key: string, id: number, rank: number): Policy {
    const policy: Policy = Object.freeze({ ...s, id, rank });
    const slot: Slot = { policy, sel: compileSelector(s.selector), key };
    const list = this.lists[s.dir][s.selector.src.addr.family === 4 ? 0 : 1];
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (before((list[mid] as Slot).policy, policy)) lo = mid + 1;
      else hi = mid;
    }
    list.splice(lo, 0, slot);
    this.packed[s.dir][s.selector.src.addr.family === 4 ? 0 : 1] = undefined;
    this.byKey.set(key, slot);
    this.byId.set(id, slot);
    return policy;
  }

  private unlink(slot: Slot): void {
    const p = slot.policy;
    const list = this.lists[p.dir][p.selector.src.addr.family === 4 ? 0 : 1];
    const i = list.indexOf(slot);
    if (i >= 0) list.splice(i, 1);
    this.packed[p.dir][p.selector.src.addr.family === 4 ? 0 : 1] = undefined;
    this.byKey.delete(slot.key);
    this.byId.delete(p.id);
  }
}
