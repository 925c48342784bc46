/**
 * Link-layer headers of capture files (tcpdump.org "Link-layer header types"):
 * strip them down to the IP packet.
 *
 *   LINKTYPE_ETHERNET (1)   dst(6) src(6) [TPID 8100/88a8/9100 TCI(2)]* ethertype(2) | IP
 *   LINKTYPE_NULL (0)       family(4, host byte order of the capturing machine)      | IP
 *   LINKTYPE_LOOP (108)     family(4, network byte order)                            | IP
 *   LINKTYPE_RAW (101), LINKTYPE_IPV4 (228), LINKTYPE_IPV6 (229)                       IP
 *   LINKTYPE_LINUX_SLL (113)   pkttype(2) hatype(2) halen(2) addr(8) protocol(2)      | IP
 *   LINKTYPE_LINUX_SLL2 (276)  protocol(2) reserved(2) ifindex(4) hatype(2)
 *                              pkttype(1) halen(1) addr(8)                           | IP
 *
 * NULL/LOOP family values: AF_INET 2; AF_INET6 24 (NetBSD/OpenBSD), 28 (FreeBSD),
 * 30 (Darwin) — all three occur in captures, so all are accepted.
 */
import { Reader } from '../../util/reader.js';

export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;

export const SUPPORTED_LINKTYPES: readonly number[] = [
  LINKTYPE_NULL,
  LINKTYPE_ETHERNET,
  LINKTYPE_RAW,
  LINKTYPE_LOOP,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_IPV4,
  LINKTYPE_IPV6,
  LINKTYPE_LINUX_SLL2,
];

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
/** 802.1Q C-tag, 802.1ad S-tag, and the pre-standard QinQ TPID */
const VLAN_TPIDS = [0x8100, 0x88a8, 0x9100];
const AF_INET = 2;
const AF_INET6 = [24, 28, 30];

export type LinkResult =
  | { readonly kind: 'ip'; readonly packet: Uint8Array }
  /** not an IP packet (ARP, LLDP, another family ...) or an unsupported link type */
  | { readonly kind: 'other'; readonly what: string };

function fromEthertype(t: number, r: Reader): LinkResult {
  if (t === ETHERTYPE_IPV4 || t === ETHERTYPE_IPV6) return ipOf(r.rest(), t === ETHERTYPE_IPV4 ? 4 : 6);
  return { kind: 'other', what: `ethertype 0x${t.toString(16).padStart(4, '0')}` };
}

function ipOf(p: Uint8Array, want: 4 | 6 | undefined): LinkResult {
  const v = p.length > 0 ? (p[0] as number) >> 4 : -1;
  if (v !== 4 && v !== 6) return { kind: 'other', what: `IP version ${v}` };
  if (want !== undefined && v !== want) return { kind: 'other', what: `IPv${v} where the link header says IPv${want}` };
  return { kind: 'ip', packet: p };
}

function fromFamily(family: number, r: Reader): LinkResult {
  if (family === AF_INET) return ipOf(r.rest(), 4);
  if (AF_INET6.includes(family)) return ipOf(r.rest(), 6);
  return { kind: 'other', what: `address family ${family}` };
}

/**
 * Strip the link header of one captured frame. Throws WireError (`frame.*`) when the
 * frame is too short for its link header; returns `other` for non-IP frames.
 */
export function linkPayload(linkType: number, frame: Uint8Array): LinkResult {
  const r = new Reader(frame, 'frame');
  switch (linkType) {
    case LINKTYPE_ETHERNET: {
      r.skip(12, 'ethernet.addresses');
      let t = r.u16('ethernet.ethertype');
      for (let tags = 0; VLAN_TPIDS.includes(t); tags++) {
        r.skip(2, `vlan[${tags}].tci`);
        t = r.u16(`vlan[${tags}].ethertype`);
      }
      // IEEE 802.3: values up to 1500 are a length (an LLC frame), not an ethertype
      if (t <= 1500) return { kind: 'other', what: '802.3/LLC frame' };
      return fromEthertype(t, r);
    }
    case LINKTYPE_RAW:
      return ipOf(frame, undefined);
    case LINKTYPE_IPV4:
      return ipOf(frame, 4);
    case LINKTYPE_IPV6:
      return ipOf(frame, 6);
    case LINKTYPE_NULL: {
      // host byte order of the machine that wrote the file: accept either
      r.skip(4, 'null.family');
      const be = r.view.getUint32(0, false);
      const le = r.view.getUint32(0, true);
      const fam = [AF_INET, ...AF_INET6].includes(le) ? le : be;
      return fromFamily(fam, r);
    }
    case LINKTYPE_LOOP:
      return fromFamily(r.u32('loop.family'), r);
    case LINKTYPE_LINUX_SLL: {
      r.skip(14, 'sll.header');
      return fromEthertype(r.u16('sll.protocol'), r);
    }
    case LINKTYPE_LINUX_SLL2: {
      const t = r.u16('sll2.protocol');
      r.skip(18, 'sll2.header');
      return fromEthertype(t, r);
    }
    default:
      return { kind: 'other', what: `link type ${linkType}` };
  }
}
