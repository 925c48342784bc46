/**
 * How an IKE SA and its CHILD SAs keep what they hold for their whole life in little memory
 * (issue 7's aim: under 4 KB of heap per established IKE SA + CHILD SA). In V8 every
 * Uint8Array is an object of ~96 bytes and, unless it is a view, one more ArrayBuffer of
 * ~88 bytes, whatever its length; so the state an SA keeps uses few of them:
 *
 * - shared empty values for fields most SAs never fill (frozen, so a stray write throws);
 * - the seven SK_* keys (RFC 7296 §2.14) in one exact-size buffer, views made on access;
 * - the traffic selectors of a CHILD SA in one buffer, a single-address range sharing one view;
 * - a negotiated proposal without its SPI (the SPIs live in the SA; list-sas needs only the
 *   transforms);
 * - our own identity from the config parsed once per connection (peer-match.ts).
 */
import type { TrafficSelector } from '../config/traffic-selector.js';
import type { IkeSaKeys } from '../crypto/ike/ike-keymat.js';
import type { SelectedProposal } from '../ike/proposal-select.js';

/** Zero bytes: nothing can be written into it, so every SA may share it. */
export const EMPTY_BYTES: Uint8Array = new Uint8Array(0);

const NO_ITEMS: readonly never[] = Object.freeze([]);

/** A shared, frozen empty list for a field that is replaced (never pushed to) when it gets items. */
export function noItems<T>(): T[] {
  return NO_ITEMS as never[];
}

/**
 * `list` and `item` in a new array of exactly that length: a push onto an empty array would
 * reserve 17 slots (V8's growth), and a shared empty list must not be pushed to.
 */
export function appended<T>(list: readonly T[], item: T): T[] {
  return [...list, item];
}

/**
 * SK_d, SK_ai, SK_ar, SK_ei, SK_er, SK_pi, SK_pr in the order of §2.14, in one buffer: SK_d and
 * SK_p* are as long as the PRF's key (`p`), SK_a* as the integrity key (`a`, 0 with an AEAD),
 * SK_e* as the encryption key (`e`).
 */
class PackedIkeSaKeys implements IkeSaKeys {
  constructor(
    private readonly km: Uint8Array,
    private readonly p: number,
    private readonly a: number,
    private readonly e: number,
  ) {}

  get skD(): Uint8Array {
    return this.km.subarray(0, this.p);
  }
  get skAi(): Uint8Array {
    return this.km.subarray(this.p, this.p + this.a);
  }
  get skAr(): Uint8Array {
    return this.km.subarray(this.p + this.a, this.p + 2 * this.a);
  }
  get skEi(): Uint8Array {
    const o = this.p + 2 * this.a;
    return this.km.subarray(o, o + this.e);
  }
  get skEr(): Uint8Array {
    const o = this.p + 2 * this.a + this.e;
    return this.km.subarray(o, o + this.e);
  }
  get skPi(): Uint8Array {
    const o = this.p + 2 * this.a + 2 * this.e;
    return this.km.subarray(o, o + this.p);
  }
  get skPr(): Uint8Array {
    const o = 2 * this.p + 2 * this.a + 2 * this.e;
    return this.km.subarray(o, o + this.p);
  }
}

/**
 * The keys copied into one exact-size buffer (a copy: prf+ output may be longer, §2.13).
 * Keys whose lengths do not pair up as §2.14 makes them are kept as they are.
 */
export function packIkeSaKeys(k: IkeSaKeys): IkeSaKeys {
  if (k instanceof PackedIkeSaKeys) return k;
  const p = k.skD.length;
  const a = k.skAi.length;
  const e = k.skEi.length;
  if (k.skPi.length !== p || k.skPr.length !== p || k.skAr.length !== a || k.skEr.length !== e) return k;
  const km = new Uint8Array(3 * p + 2 * a + 2 * e);
  let o = 0;
  for (const part of [k.skD, k.skAi, k.skAr, k.skEi, k.skEr, k.skPi, k.skPr]) {
    km.set(part, o);
    o += part.length;
  }
  return new PackedIkeSaKeys(km, p, a, e);
}

/**
 * The local and remote selectors a CHILD SA keeps (§3.13.1), their addresses copied into one
 * buffer; a range of one address has one view for both ends. Copies, so no message buffer
 * stays alive.
 */
export function packSelectors(
  local: readonly TrafficSelector[],
  remote: readonly TrafficSelector[],
): [TrafficSelector[], TrafficSelector[]] {
  const all = packAll([...local, ...remote]);
  return [all.slice(0, local.length), all.slice(local.length)];
}

function packAll(list: readonly TrafficSelector[]): TrafficSelector[] {
  let bytes = 0;
  for (const t of list) bytes += t.startAddr.length + (sameBytes(t.startAddr, t.endAddr) ? 0 : t.endAddr.length);
  const buf = new Uint8Array(bytes);
  let o = 0;
  const put = (a: Uint8Array): Uint8Array => {
    buf.set(a, o);
    o += a.length;
    return buf.subarray(o - a.length, o);
  };
  return list.map((t) => {
    const startAddr = put(t.startAddr);
    const endAddr = sameBytes(t.startAddr, t.endAddr) ? startAddr : put(t.endAddr);
    return {
      family: t.family,
      protocol: t.protocol,
      startPort: t.startPort,
      endPort: t.endPort,
      startAddr,
      endAddr,
    };
  });
}

/**
 * Kept proposals by their transforms: one frozen object for every SA that negotiated the same
 * (a selected proposal is made of our configured transforms, so there are few of them).
 */
const keptProposals = new Map<string, SelectedProposal>();

/** A negotiated proposal as an SA keeps it: the transforms, not the SPI of the SA payload (§3.3.1). */
export function keptProposal(p: SelectedProposal): SelectedProposal {
  const key = [p.protocol, p.proposalNumber, p.encr.id, p.encr.keyLength, p.prf, p.integ, p.dh, p.esn].join('|');
  let kept = keptProposals.get(key);
  if (!kept) {
    kept = Object.freeze({ ...p, encr: Object.freeze({ ...p.encr }), spi: EMPTY_BYTES });
    keptProposals.set(key, kept);
  }
  return kept;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
