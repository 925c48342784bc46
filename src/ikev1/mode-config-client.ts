/**
 * Mode Config as a client (draft-ietf-ipsec-isakmp-mode-cfg-05 §3.2-§3.3 and Cisco Unity,
 * protocol-facts §3): the attributes a pull asks for, what a gateway's CFG_REPLY or CFG_SET
 * carries, and the CFG_ACK to a push. Pure functions; transaction-client.ts sends them.
 *
 * Choices where the drafts are silent:
 * - The request lists IPv4 address, netmask, DNS, NBNS and the Unity banner, default domain,
 *   split DNS, split include and split exclude as zero-length variable attributes, and 28677
 *   (UNITY_NATT_PORT, also variable and empty, as vpnc and Shrew ask) only when the connection
 *   asks for Cisco UDP.
 * - An attribute of the wrong size is left out with a note, never fatal; unknown ones are
 *   ignored (mode-cfg-05 §3.2 lets either side skip what it does not know).
 * - The ACK to a push names the attributes we took, empty (TLV) or with their value (TV).
 */
import type { ChildConfig, ConnectionConfig } from '../config/swanctl/swanctl-model.js';
import { formatIp } from '../util/ip-addr.js';
import type { DataAttribute } from '../wire/isakmp/isakmp-types.js';
import { CfgAttr } from './mode-config-attributes.js';

/** What the gateway configured for us. */
export interface ModeConfigResult {
  address?: Uint8Array;
  netmask?: Uint8Array;
  dns: Uint8Array[];
  nbns: Uint8Array[];
  banner?: string;
  defaultDomain?: string;
  /** Unity split DNS: the domains to resolve through the tunnel's DNS */
  splitDns: string[];
  /** Unity split include / exclude (28676 / 28678): IPv4 prefixes as `a.b.c.d/len` */
  splitInclude: string[];
  splitExclude: string[];
  /** Cisco UDP: the gateway's ESP port (28677, basic attribute) */
  ciscoUdpPort?: number;
  /** the attributes taken, for a CFG_ACK */
  accepted: DataAttribute[];
  /** attributes left out, and why */
  notes: string[];
}

/** Does the connection ask for Cisco UDP (`natt_mode = none` and an explicit `cisco_udp_port`)? */
export function wantsCiscoUdp(conn: ConnectionConfig): boolean {
  return conn.nattMode === 'none' && conn.ciscoUdpPortSet === true && conn.ciscoUdpPort > 0;
}

const empty = (type: number): DataAttribute => ({ type, form: 'tlv', value: new Uint8Array(0) });

/**
 * The CFG_REQUEST attributes of a pull (mode-cfg-05 §3.2: zero-length values ask). `current`:
 * the virtual IP we hold (a phase 1 rekey), sent as the value of INTERNAL_IP4_ADDRESS to ask
 * for it again (§3.2 lets a request carry a suggested value).
 */
export function modeConfigRequest(ciscoUdp: boolean, current?: Uint8Array): DataAttribute[] {
  const types: number[] = [
    CfgAttr.INTERNAL_IP4_ADDRESS,
    CfgAttr.INTERNAL_IP4_NETMASK,
    CfgAttr.INTERNAL_IP4_DNS,
    CfgAttr.INTERNAL_IP4_NBNS,
    CfgAttr.UNITY_BANNER,
    CfgAttr.UNITY_DEF_DOMAIN,
    CfgAttr.UNITY_SPLIT_DOMAIN,
    CfgAttr.UNITY_SPLIT_INCLUDE,
    CfgAttr.UNITY_SPLIT_EXCLUDE,
  ];
  // protocol-facts §3: the client asks with 70 05 00 00, the gateway answers F0 05 pp pp
  if (ciscoUdp) types.push(CfgAttr.UNITY_NATT_PORT);
  return types.map((t) =>
    t === CfgAttr.INTERNAL_IP4_ADDRESS && current?.length === 4 ? { type: t, form: 'tlv', value: current } : empty(t),
  );
}

const text = new TextDecoder();

/** 14-octet Unity entries address | mask | protocol | sport | dport -> prefixes (protocol-facts §3). */
function unityNetworks(v: Uint8Array, notes: string[], name: string): string[] {
  if (v.length % 14 !== 0) {
    notes.push(`${name}: ${v.length} octets, not a multiple of 14`);
    return [];
  }
  const out: string[] = [];
  for (let o = 0; o < v.length; o += 14) {
    const addr = v.subarray(o, o + 4);
    const mask = new DataView(v.buffer, v.byteOffset + o + 4, 4).getUint32(0);
    let len = 0;
    while (len < 32 && (mask & (0x80000000 >>> len)) !== 0) len++;
    if (len < 32 && (mask << len) >>> 0 !== 0) {
      notes.push(`${name}: mask ${formatIp(v.subarray(o + 4, o + 8))} is not a prefix`);
      continue;
    }
    // the network part only (a gateway may send a host address with its mask)
    const net = new Uint8Array(4);
    const a = new DataView(addr.buffer, addr.byteOffset, 4).getUint32(0) & mask;
    new DataView(net.buffer).setUint32(0, a >>> 0);
    out.push(`${formatIp(net)}/${len}`);
  }
  return out;
}

/** The attributes of a CFG_REPLY or CFG_SET, checked for size. */
export function parseModeConfig(attrs: readonly DataAttribute[]): ModeConfigResult {
  const r: ModeConfigResult = {
    dns: [],
    nbns: [],
    splitDns: [],
    splitInclude: [],
    splitExclude: [],
    accepted: [],
    notes: [],
  };
  const ip4 = (a: DataAttribute, name: string): Uint8Array | undefined => {
    if (a.value.length === 4) return a.value.slice();
    r.notes.push(`${name}: ${a.value.length} octets, not an IPv4 address`);
    return undefined;
  };
  for (const a of attrs) {
    let took = true;
    switch (a.type) {
      case CfgAttr.INTERNAL_IP4_ADDRESS: {
        const v = ip4(a, 'INTERNAL_IP4_ADDRESS');
        // mode-cfg-05 §3.2: one address; a second is ignored
        if (v && !r.address) r.address = v;
        else took = false;
        break;
      }
      case CfgAttr.INTERNAL_IP4_NETMASK: {
        const v = ip4(a, 'INTERNAL_IP4_NETMASK');
        if (v) r.netmask = v;
        else took = false;
        break;
      }
      case CfgAttr.INTERNAL_IP4_DNS:
      case CfgAttr.INTERNAL_IP4_NBNS: {
        const v = ip4(a, a.type === CfgAttr.INTERNAL_IP4_DNS ? 'INTERNAL_IP4_DNS' : 'INTERNAL_IP4_NBNS');
        if (v) (a.type === CfgAttr.INTERNAL_IP4_DNS ? r.dns : r.nbns).push(v);
        else took = false;
        break;
      }
      case CfgAttr.UNITY_BANNER:
        r.banner = text.decode(a.value);
        break;
      case CfgAttr.UNITY_DEF_DOMAIN:
        r.defaultDomain = text.decode(a.value).replace(/\0+$/, '');
        break;
      case CfgAttr.UNITY_SPLIT_DOMAIN:
        // a comma-separated list (Cisco; strongSwan's unity plugin sends it so)
        r.splitDns.push(
          ...text
            .decode(a.value)
            .split(',')
            .map((d) => d.trim())
            .filter((d) => d.length > 0),
        );
        break;
      case CfgAttr.UNITY_SPLIT_INCLUDE:
        r.splitInclude.push(...unityNetworks(a.value, r.notes, 'UNITY_SPLIT_INCLUDE'));
        break;
      case CfgAttr.UNITY_SPLIT_EXCLUDE:
        r.splitExclude.push(...unityNetworks(a.value, r.notes, 'UNITY_SPLIT_EXCLUDE'));
        break;
      case CfgAttr.UNITY_NATT_PORT:
        // protocol-facts §3: a basic (TV) attribute with the gateway's port
        if (a.form === 'tv' && a.value.length === 2 && ((a.value[0] ?? 0) | (a.value[1] ?? 0)) !== 0)
          r.ciscoUdpPort = ((a.value[0] ?? 0) << 8) | (a.value[1] ?? 0);
        else {
          r.notes.push('UNITY_NATT_PORT: not a basic attribute with a port');
          took = false;
        }
        break;
      default:
        took = false;
    }
    if (took && !r.accepted.some((x) => x.type === a.type)) r.accepted.push(a);
  }
  return r;
}

/** CFG_ACK attributes for a push: the types we took, TLV empty, TV with their value (§3.3). */
export function ackAttributes(r: ModeConfigResult): DataAttribute[] {
  return r.accepted.map((a) => (a.form === 'tv' ? { ...a, value: a.value.slice() } : empty(a.type)));
}

/**
 * The CHILD SAs to negotiate once Mode Config is done. With split include networks from the
 * gateway, a child whose `remote_ts` is 0.0.0.0/0 (what `esprit import vpnc` writes) gets one
 * Quick Mode per network, as Cisco clients do: the first keeps the child's name, the others
 * are named `NAME-2`, `NAME-3` ... in the gateway's order. Other children keep their selectors.
 */
export function clientChildren(children: readonly ChildConfig[], r: ModeConfigResult | undefined): ChildConfig[] {
  const nets = r?.splitInclude ?? [];
  return children.flatMap((c) => {
    const all = c.remoteTs.length === 1 && c.remoteTs[0] === '0.0.0.0/0';
    if (!all || nets.length === 0) return [c];
    return nets.map((n, i) => ({ ...c, name: i === 0 ? c.name : `${c.name}-${i + 1}`, remoteTs: [n] }));
  });
}
