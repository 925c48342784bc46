import type { Framing } from './esprit-node.js';

/**
 * setkey(8) scripts for one end of a manually keyed tunnel (grammar: docs/setkey.md):
 *
 *   flush; spdflush;
 *   add LOCAL[lp] REMOTE[rp] esp-udp SPI_OUT -m tunnel -r 64 -u REQID_OUT -E aes-gcm-16 KEY_OUT [-e F] [-n N];
 *   add REMOTE[rp] LOCAL[lp] esp-udp SPI_IN  -m tunnel -r 64 -u REQID_IN  -E aes-gcm-16 KEY_IN  [-e F] [-n N];
 *   spdadd LNET RNET any -P out ipsec esp/tunnel/LOCAL-REMOTE/LEVEL;
 *   spdadd RNET LNET any -P in  ipsec esp/tunnel/REMOTE-LOCAL/LEVEL;
 *
 * Without ports the SAs are plain `esp` (raw IP protocol 50). Both ends are generated from
 * one TunnelKeys so their SPIs and keys mirror each other.
 */

/** One direction of a tunnel: SPI, reqid and the AES-GCM-16 key (16 key bytes + 4 salt bytes, RFC 4106 §8.1). */
export interface DirectionKeys {
  readonly spi: number;
  readonly reqid: number;
  /** 40 hex digits */
  readonly key: string;
}

/** Both directions, named from the initiator's (client's) view. */
export interface TunnelKeys {
  readonly clientToGw: DirectionKeys;
  readonly gwToClient: DirectionKeys;
}

/**
 * Hand-written keys (hex typed in, not derived): AES-128-GCM key || 4-byte salt. Each tunnel
 * of a scenario takes its own set, so SPIs and reqids never collide.
 */
export const KEYS: readonly TunnelKeys[] = [
  {
    clientToGw: { spi: 0x1001, reqid: 11, key: '000102030405060708090a0b0c0d0e0f10111213' },
    gwToClient: { spi: 0x2001, reqid: 12, key: '202122232425262728292a2b2c2d2e2f30313233' },
  },
  {
    clientToGw: { spi: 0x1002, reqid: 21, key: 'a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3' },
    gwToClient: { spi: 0x2002, reqid: 22, key: 'c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3' },
  },
];

export type NatSide = 'keepalive' | 'float' | 'keepalive,float' | 'none';

export interface TunnelEndConfig {
  /** this end's outer address (as it sees itself) */
  readonly local: string;
  /** the peer's outer address (as this end reaches it: the NAT's public address on the gw) */
  readonly remote: string;
  /** NAT-T ports; both undefined → raw ESP */
  readonly localPort?: number;
  readonly remotePort?: number;
  readonly framing?: Framing;
  /**
   * esprit `-n` per SA (docs/setkey.md): `keepalive` on the outbound SA of the side behind the
   * NAT, `float` on the inbound SA of the side that is not; `none` for neither; undefined →
   * no `-n` (ipsecd's default: float).
   */
  readonly natOut?: NatSide;
  readonly natIn?: NatSide;
  readonly out: DirectionKeys;
  readonly in: DirectionKeys;
  /** [local selector, remote selector] pairs, e.g. ['10.99.4.1/32', '10.99.3.0/24'] */
  readonly selectors: readonly (readonly [string, string])[];
  /** policy level: 'require' (default) or 'unique' (binds the SA by reqid) */
  readonly level?: 'require' | 'unique';
  /** start with flush; spdflush; (default true) */
  readonly flush?: boolean;
  /** anti-replay window in packets (linux dialect; default 64, RFC 4303 §3.4.3; setkey's own default 0 disables it) */
  readonly replay?: number;
}

function endpoint(addr: string, port: number | undefined): string {
  return port === undefined ? addr : `${addr}[${port}]`;
}

function saLine(
  src: string,
  dst: string,
  sport: number | undefined,
  dport: number | undefined,
  k: DirectionKeys,
  nat: NatSide | undefined,
  c: TunnelEndConfig,
): string {
  const udp = sport !== undefined || dport !== undefined;
  const proto = udp ? 'esp-udp' : 'esp';
  const opts = [`-m tunnel -r ${c.replay ?? 64} -u ${k.reqid}`];
  if (udp && c.framing) opts.push(`-e ${c.framing}`);
  if (udp && nat) opts.push(`-n ${nat}`);
  return `add ${endpoint(src, sport)} ${endpoint(dst, dport)} ${proto} 0x${k.spi.toString(16)} ${opts.join(' ')}\n    -E aes-gcm-16 0x${k.key} ;`;
}

/** The setkey script for one end. */
export function tunnelEndConfig(c: TunnelEndConfig): string {
  const lines: string[] = [];
  if (c.flush ?? true) lines.push('flush ;', 'spdflush ;');
  lines.push(saLine(c.local, c.remote, c.localPort, c.remotePort, c.out, c.natOut, c));
  lines.push(saLine(c.remote, c.local, c.remotePort, c.localPort, c.in, c.natIn, c));
  const lv = (k: DirectionKeys) => (c.level === 'unique' ? `unique:${k.reqid}` : 'require');
  for (const [l, r] of c.selectors) {
    lines.push(`spdadd ${l} ${r} any -P out ipsec\n    esp/tunnel/${c.local}-${c.remote}/${lv(c.out)} ;`);
    lines.push(`spdadd ${r} ${l} any -P in ipsec\n    esp/tunnel/${c.remote}-${c.local}/${lv(c.in)} ;`);
  }
  return `${lines.join('\n')}\n`;
}

export interface TunnelPairSpec {
  readonly keys: TunnelKeys;
  /** the client's outer address (its own view) and the gw's */
  readonly client: string;
  readonly gw: string;
  /** how the gw reaches the client (the NAT's public address; default: client) */
  readonly clientSeenByGw?: string;
  /** NAT-T ports: the client's and the gw's; the gw's view of the client's port (default: clientPort) */
  readonly clientPort?: number;
  readonly gwPort?: number;
  readonly clientPortSeenByGw?: number;
  readonly framing?: Framing;
  /** true: the client is behind a NAT: its outbound SA sends keepalives, the gw's inbound SA floats (the other two: none) */
  readonly behindNat?: boolean;
  /** [client selector, gw selector] pairs */
  readonly selectors: readonly (readonly [string, string])[];
  readonly level?: 'require' | 'unique';
  readonly flush?: boolean;
}

/** Both ends' scripts for a client ↔ gw tunnel. */
export function tunnelPair(s: TunnelPairSpec): { client: string; gw: string } {
  const common = {
    framing: s.framing,
    level: s.level,
    flush: s.flush,
  };
  const client = tunnelEndConfig({
    ...common,
    local: s.client,
    remote: s.gw,
    localPort: s.clientPort,
    remotePort: s.gwPort,
    natOut: s.behindNat ? 'keepalive' : undefined,
    natIn: s.behindNat ? 'none' : undefined,
    out: s.keys.clientToGw,
    in: s.keys.gwToClient,
    selectors: s.selectors,
  });
  const gw = tunnelEndConfig({
    ...common,
    local: s.gw,
    remote: s.clientSeenByGw ?? s.client,
    localPort: s.gwPort,
    remotePort: s.clientPortSeenByGw ?? s.clientPort,
    natOut: s.behindNat ? 'none' : undefined,
    natIn: s.behindNat ? 'float' : undefined,
    out: s.keys.gwToClient,
    in: s.keys.clientToGw,
    selectors: s.selectors.map(([c, g]) => [g, c] as const),
  });
  return { client, gw };
}
