/**
 * `updown` scripts (swanctl.conf children.<child>.updown), with strongSwan's interface: the
 * script runs through `sh -c` once per pair of local/remote traffic selectors when a CHILD SA
 * comes up and when it goes down, with the PLUTO_* environment strongSwan's updown plugin
 * passes (updown_listener.c, read for the names and formats; PLUTO_VERSION 1.1).
 *
 * Like strongSwan, a rekey runs nothing: strongSwan calls the script from child_updown, which
 * a rekey does not raise. esprit counts the CHILD SAs per (reqid, selectors): `up` when the
 * first appears, `down` when the last goes, so a make-before-break rekey or reauthentication
 * (the new CHILD SA is installed before the old one is removed) never calls the script.
 * PLUTO_INTERFACE is `unknown` (esprit's traffic always goes through its TUN), and no marks,
 * interface IDs or IPComp are set, since esprit has none.
 */
import { rangeToCidrs, type TrafficSelector } from '../config/traffic-selector.js';
import { formatIp } from '../util/ip-addr.js';

/** What the environment needs of the IKE SA (the daemon's list-sas report fits). */
export interface UpdownSa {
  id: number;
  local: { address: string; port: number };
  remote: { address: string; port: number };
  localId: string;
  remoteId: string;
  remoteEapId?: string;
  localBehindNat: boolean;
  remoteBehindNat: boolean;
  vipsLocal: string[];
  vipsRemote: string[];
}

export interface UpdownChild {
  child: string;
  reqid: number;
  localTs: TrafficSelector[];
  remoteTs: TrafficSelector[];
}

/** The smallest subnet holding the selector's range ("updown approximates ... by next larger subnet"). */
function subnetOf(ts: TrafficSelector): string {
  const exact = rangeToCidrs(ts.startAddr, ts.endAddr);
  if (exact.length === 1) return exact[0] as string;
  const bits = ts.startAddr.length * 8;
  let prefix = 0;
  while (prefix < bits) {
    const byte = prefix >> 3;
    const mask = 0x80 >> (prefix & 7);
    if (((ts.startAddr[byte] as number) & mask) !== ((ts.endAddr[byte] as number) & mask)) break;
    prefix++;
  }
  const net = ts.startAddr.slice();
  for (let b = prefix; b < bits; b++) net[b >> 3] = (net[b >> 3] as number) & ~(0x80 >> (b & 7));
  return `${formatIp(net)}/${prefix}`;
}

/** updown_listener.c get_port(): ICMP type/code, else the port or "from:to". */
function portOf(me: TrafficSelector, other: TrafficSelector, local: boolean): string {
  const proto = Math.max(me.protocol, other.protocol);
  if (proto === 1 || proto === 58) {
    const port = Math.max(me.startPort, other.startPort);
    return String(local ? port >> 8 : port & 0xff);
  }
  const ts = local ? me : other;
  const { startPort: from, endPort: to } = ts;
  return from === to || (from === 0 && to === 65535) ? String(from) : `${from}:${to}`;
}

/** The environment of one invocation (PATH is added by the caller). */
export function updownEnv(
  sa: UpdownSa,
  c: UpdownChild,
  up: boolean,
  my: TrafficSelector,
  other: TrafficSelector,
): Record<string, string> {
  // "-host" when our selector is just our own address; "-v6" by the selector's family.
  const myNet = subnetOf(my);
  const meHost = `${sa.local.address}/${sa.local.address.includes(':') ? 128 : 32}`;
  const isHost = myNet === meHost;
  const v6 = isHost ? sa.local.address.includes(':') : my.startAddr.length === 16;
  const env: Record<string, string> = {
    PLUTO_VERSION: '1.1',
    PLUTO_VERB: `${up ? 'up' : 'down'}${isHost ? '-host' : '-client'}${v6 ? '-v6' : ''}`,
    PLUTO_CONNECTION: c.child,
    PLUTO_INTERFACE: 'unknown',
    PLUTO_REQID: String(c.reqid),
    PLUTO_PROTO: 'esp',
    PLUTO_UNIQUEID: String(sa.id),
    PLUTO_ME: sa.local.address,
    PLUTO_MY_ID: sa.localId,
    PLUTO_MY_CLIENT: myNet,
    PLUTO_MY_PORT: portOf(my, other, true),
    PLUTO_MY_PROTOCOL: String(my.protocol),
    PLUTO_PEER: sa.remote.address,
    PLUTO_PEER_ID: sa.remoteId,
    PLUTO_PEER_CLIENT: subnetOf(other),
    PLUTO_PEER_PORT: portOf(my, other, false),
    PLUTO_PEER_PROTOCOL: String(other.protocol),
  };
  if (sa.remoteEapId) env.PLUTO_XAUTH_ID = sa.remoteEapId;
  const vips = (list: string[], who: 'MY' | 'PEER'): void => {
    let v4 = 0;
    let v6n = 0;
    list.forEach((v, i) => {
      if (i === 0) env[`PLUTO_${who}_SOURCEIP`] = v;
      if (v.includes(':')) env[`PLUTO_${who}_SOURCEIP6_${++v6n}`] = v;
      else env[`PLUTO_${who}_SOURCEIP4_${++v4}`] = v;
    });
  };
  vips(sa.vipsLocal, 'MY');
  vips(sa.vipsRemote, 'PEER');
  // COND_NAT_ANY: the peer's (floated) port.
  if (sa.localBehindNat || sa.remoteBehindNat) env.PLUTO_UDP_ENC = String(sa.remote.port);
  return env;
}

/** Counts CHILD SAs per (reqid, selectors) so only the first up and the last down call the script. */
export class UpdownTracker {
  private readonly live = new Map<string, number>();

  private key(c: UpdownChild, sa: UpdownSa): string {
    return `${c.reqid}|${sa.remote.address}|${c.localTs.map(subnetOf).join(',')}|${c.remoteTs.map(subnetOf).join(',')}`;
  }

  /** True when this CHILD SA is the first of its kind (run `up`). */
  up(c: UpdownChild, sa: UpdownSa): boolean {
    const k = this.key(c, sa);
    const n = (this.live.get(k) ?? 0) + 1;
    this.live.set(k, n);
    return n === 1;
  }

  /** True when this CHILD SA was the last of its kind (run `down`). */
  down(c: UpdownChild, sa: UpdownSa): boolean {
    const k = this.key(c, sa);
    const n = (this.live.get(k) ?? 1) - 1;
    if (n <= 0) this.live.delete(k);
    else this.live.set(k, n);
    return n <= 0;
  }
}
