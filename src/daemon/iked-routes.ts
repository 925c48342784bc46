/**
 * Virtual IPs and routes on the TUN for negotiated CHILD SAs (strongSwan's install_routes
 * and install_virtual_ip): each remote traffic selector is routed into the TUN, with the
 * virtual IP as source when we have one. A selector that covers the peer itself (0.0.0.0/0
 * on a road warrior) would route IKE and ESP into the tunnel; the peer keeps a host route
 * through the path it has now. Everything added is removed on teardown.
 */
import { rangeToCidrs, type TrafficSelector } from '../config/traffic-selector.js';
import type { ChildSaPlan } from '../ikev2/ikev2-actions.js';
import { runIp } from '../io/netlink-ip.js';
import { formatIp } from '../util/ip-addr.js';
import type { Logger } from '../util/logger.js';

export class IkedRoutes {
  private readonly vips = new Set<string>();
  /** route -> CHILD SAs using it (key ikeId/child/reqid) */
  private readonly routes = new Map<string, Set<string>>();
  private readonly pinned = new Set<string>();

  constructor(
    private readonly tun: string,
    private readonly log: Logger,
  ) {}

  private async ip(args: string[]): Promise<boolean> {
    try {
      await runIp(args);
      return true;
    } catch (e) {
      this.log.log('warn', 'ike', `ip ${args.join(' ')}: ${e instanceof Error ? e.message : String(e)}`);
      return false;
    }
  }

  async addVip(address: Uint8Array): Promise<void> {
    const a = formatIp(address);
    const cidr = `${a}/${address.length === 4 ? 32 : 128}`;
    if (this.vips.has(cidr)) return;
    this.vips.add(cidr);
    await this.ip(['addr', 'replace', cidr, 'dev', this.tun]);
  }

  async removeVip(address: Uint8Array): Promise<void> {
    const cidr = `${formatIp(address)}/${address.length === 4 ? 32 : 128}`;
    if (!this.vips.delete(cidr)) return;
    await this.ip(['addr', 'del', cidr, 'dev', this.tun]);
  }

  private key(plan: ChildSaPlan): string {
    return `${plan.ikeId}/${plan.child}/${plan.outbound.spi}`;
  }

  /** Route the remote selectors of a tunnel-mode CHILD SA into the TUN. */
  async add(plan: ChildSaPlan, peer: Uint8Array): Promise<void> {
    if (plan.mode !== 'tunnel') return;
    for (const ts of plan.remoteTs) {
      // The inner family is independent of the outer one (IPv4 in IPv6 and the reverse).
      const v6 = ts.startAddr.length === 16;
      const src = [...this.vips].find((v) => v.includes(':') === v6)?.split('/')[0];
      const localOk = plan.localTs.some((l) => l.startAddr.length === ts.startAddr.length);
      for (const cidr of rangeToCidrs(ts.startAddr, ts.endAddr)) {
        if (ts.startAddr.length === peer.length) {
          // A selector that is the peer itself (host-to-host): routing it into the TUN would
          // swallow IKE and ESP to the peer; no route, as strongSwan's install_routes.
          if (cidr === `${formatIp(peer)}/${peer.length === 4 ? 32 : 128}`) continue;
          await this.pinPeerIfCovered(cidr, peer);
        }
        const users = this.routes.get(cidr) ?? new Set<string>();
        users.add(this.key(plan));
        if (users.size === 1) {
          await this.ip(['route', 'replace', cidr, 'dev', this.tun, ...(src && localOk ? ['src', src] : [])]);
        }
        this.routes.set(cidr, users);
      }
    }
  }

  /** Routes for a trap policy's remote selectors (kept until clear()). */
  async addTrap(key: string, remoteTs: TrafficSelector[], peer: Uint8Array): Promise<void> {
    for (const ts of remoteTs) {
      for (const cidr of rangeToCidrs(ts.startAddr, ts.endAddr)) {
        if (ts.startAddr.length === peer.length) {
          if (cidr === `${formatIp(peer)}/${peer.length === 4 ? 32 : 128}`) continue;
          await this.pinPeerIfCovered(cidr, peer);
        }
        const users = this.routes.get(cidr) ?? new Set<string>();
        users.add(`trap/${key}`);
        if (users.size === 1) await this.ip(['route', 'replace', cidr, 'dev', this.tun]);
        this.routes.set(cidr, users);
      }
    }
  }

  private async pinPeerIfCovered(cidr: string, peer: Uint8Array): Promise<void> {
    const p = formatIp(peer);
    const len = Number(cidr.split('/')[1]);
    const [net] = cidr.split('/');
    if (!covers(net ?? '', len, peer)) return;
    const host = `${p}/${peer.length === 4 ? 32 : 128}`;
    if (this.pinned.has(host)) return;
    let out = '';
    try {
      out = await runIp(['route', 'get', p]);
    } catch {
      return;
    }
    // e.g. "10.99.2.2 via 10.99.1.1 dev eth0 src 10.99.1.2 uid 0"
    const via = /\bvia (\S+)/.exec(out)?.[1];
    const dev = /\bdev (\S+)/.exec(out)?.[1];
    if (!dev || dev === this.tun) return;
    this.pinned.add(host);
    await this.ip(['route', 'replace', host, ...(via ? ['via', via] : []), 'dev', dev]);
  }

  async remove(plan: ChildSaPlan): Promise<void> {
    const k = this.key(plan);
    for (const [cidr, users] of this.routes) {
      if (!users.delete(k) || users.size > 0) continue;
      this.routes.delete(cidr);
      await this.ip(['route', 'del', cidr, 'dev', this.tun]);
    }
  }

  async clear(): Promise<void> {
    for (const cidr of this.routes.keys()) await this.ip(['route', 'del', cidr, 'dev', this.tun]);
    this.routes.clear();
    for (const h of this.pinned) await this.ip(['route', 'del', h]);
    this.pinned.clear();
    for (const v of this.vips) await this.ip(['addr', 'del', v, 'dev', this.tun]);
    this.vips.clear();
  }
}

function covers(net: string, len: number, addr: Uint8Array): boolean {
  const parts = net.includes(':') ? undefined : net.split('.').map(Number);
  if (addr.length === 4 && parts) {
    const n = ((parts[0] ?? 0) << 24) | ((parts[1] ?? 0) << 16) | ((parts[2] ?? 0) << 8) | (parts[3] ?? 0);
    const a = ((addr[0] ?? 0) << 24) | ((addr[1] ?? 0) << 16) | ((addr[2] ?? 0) << 8) | (addr[3] ?? 0);
    const mask = len === 0 ? 0 : (~0 << (32 - len)) >>> 0;
    return (n & mask) >>> 0 === (a & mask) >>> 0;
  }
  if (addr.length === 16 && !parts) return len === 0 || net === formatIp(addr);
  return false;
}
