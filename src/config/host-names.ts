/**
 * Host names in `local_addrs`/`remote_addrs` (swanctl.conf(5): "IP addresses, DNS names,
 * CIDR subnets or ranges"). The core matches addresses only; the daemon resolves the names
 * (src/io/resolve-hosts.ts) when it starts and on `reload`, and each name is followed in the
 * list by the addresses it resolved to, so matching, initiation and trap policies use them while
 * `list-conns` still shows the name.
 */
import type { EspritConfig } from './swanctl/swanctl-model.js';

const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const HOST_NAME = new RegExp(`^${LABEL}(?:\\.${LABEL})*\\.?$`);

/** A DNS name, not an address, subnet, range or `%any` (RFC 1123 §2.1 labels, one letter at least). */
export function isHostName(s: string): boolean {
  const t = s.trim();
  if (t.includes(':') || t.includes('/') || t.startsWith('%') || !/[A-Za-z]/.test(t)) return false;
  return t.length <= 253 && HOST_NAME.test(t);
}

/** Every host name the connections name, once. */
export function hostNamesOf(config: EspritConfig): string[] {
  const out = new Set<string>();
  for (const c of config.connections)
    for (const a of [...c.localAddrs, ...c.remoteAddrs]) if (isHostName(a)) out.add(a);
  return [...out];
}

/** The config with each host name followed by its addresses (names that did not resolve stay alone). */
export function withResolvedHosts(
  config: EspritConfig,
  resolved: ReadonlyMap<string, readonly string[]>,
): EspritConfig {
  const expand = (list: readonly string[]): string[] => {
    const out: string[] = [];
    for (const a of list) {
      if (!out.includes(a)) out.push(a);
      if (!isHostName(a)) continue;
      for (const ip of resolved.get(a) ?? []) if (!out.includes(ip)) out.push(ip);
    }
    return out;
  };
  return {
    ...config,
    connections: config.connections.map((c) => ({
      ...c,
      localAddrs: expand(c.localAddrs),
      remoteAddrs: expand(c.remoteAddrs),
    })),
  };
}
