/**
 * TEST ONLY: packets and two-peer set-ups shared by the Dataplane tests and the benchmark.
 *
 * Inner packets are hand-built and their checksums were computed with an independent Python
 * script (RFC 1071 one's complement sum over the header / pseudo-header), not with our
 * encoders:
 *
 *   ICMP_REQ4  IPv4 10.1.0.2 -> 10.2.0.5, ICMP echo request id 0x1234 seq 1, 32 data bytes
 *              45 00 003c | 0001 4000 | 40 01 26b7 | 0a010002 | 0a020005 |
 *              08 00 3b27 1234 0001 | "abcdefghijklmnopqrstuvwabcdefghi"
 *   ICMP_REP4  IPv4 10.2.0.5 -> 10.1.0.2, echo reply (type 0), IP id 2: header sum 26b6, ICMP sum 4327
 *   ICMP_REQ6  IPv6 fd00:1::2 -> fd00:2::5, ICMPv6 echo request (128) id 0x77 seq 1, sum da75
 *   ICMP_REP6  IPv6 fd00:2::5 -> fd00:1::2, ICMPv6 echo reply (129), sum d975
 */

import type { KeepaliveFormat } from '../sad/sa-config.js';
import type { Level, PolicySpec } from '../sad/spd.js';
import { FakeClock } from '../util/clock.js';
import { fromHex } from '../util/hex.js';
import { parseIp, parsePrefix } from '../util/ip-addr.js';
import { type Host, KEY_A, KEY_B, Nat, Net, saConfig } from './test-harness.js';

const DATA = '6162636465666768696a6b6c6d6e6f7071727374757677616263646566676869';
export const ICMP_REQ4 = fromHex(`4500003c00014000400126b70a0100020a020005 08003b2712340001${DATA}`.replace(/ /g, ''));
export const ICMP_REP4 = fromHex(`4500003c00024000400126b60a0200050a010002 0000432712340001${DATA}`.replace(/ /g, ''));
export const ICMP_REQ6 = fromHex(
  `6000000000283a40fd000001000000000000000000000002fd000002000000000000000000000005 8000da7500770001${DATA}`.replace(
    / /g,
    '',
  ),
);
export const ICMP_REP6 = fromHex(
  `6000000000283a40fd000002000000000000000000000005fd000001000000000000000000000002 8100d97500770001${DATA}`.replace(
    / /g,
    '',
  ),
);

export const CLIENT = '10.0.0.2';
export const CLIENT2 = '10.0.0.3';
export const NAT_PUBLIC = '198.51.100.7';
export const GATEWAY = '192.0.2.1';

const ip = parseIp;
const pfx = parsePrefix;

/**
 * A tunnel-mode ESP policy (any protocol and port): inner `src` → `dst` (prefix text), outer
 * `tunnelSrc` → `tunnelDst`; level require and no reqid unless given.
 */
export function tunnelPolicy(
  dir: 'in' | 'out',
  src: string,
  dst: string,
  tunnelSrc: string,
  tunnelDst: string,
  o: { readonly level?: Level; readonly reqid?: number } = {},
): Omit<PolicySpec, 'priority'> {
  return {
    selector: { src: pfx(src), dst: pfx(dst), proto: 255, sport: 0, dport: 0 },
    dir,
    action: 'ipsec',
    requests: [
      {
        proto: 'esp',
        mode: 'tunnel',
        tunnel: { src: ip(tunnelSrc), dst: ip(tunnelDst) },
        level: o.level ?? 'require',
        reqid: o.reqid ?? 0,
      },
    ],
  };
}

export interface NatTunnel {
  readonly clock: FakeClock;
  readonly net: Net;
  readonly nat: Nat;
  readonly client: Host;
  readonly gateway: Host;
  /** the client's public NAT-T port */
  readonly natPort: number;
}

export interface NatTunnelOptions {
  readonly framing?: 'rfc3948' | 'cisco-udp';
  readonly port?: number;
  readonly keepalive?: KeepaliveFormat;
  readonly keepaliveIntervalMs?: number;
  /**
   * The gateway's SAs and policies for this client carry this reqid at level unique: what
   * tells peers behind one NAT apart (same public address, RFC 3948 §5.2). Default: none.
   */
  readonly gatewayReqid?: number;
}

/**
 * RFC 3948 tunnel mode, client behind a NAT (natKeepalive on its outbound SA), gateway not
 * (natFloat on its inbound SA). Inner networks 10.1.0.2/32 (client) and 10.2.0.0/24 (LAN).
 *
 *   client SAs: out 0x1001 10.0.0.2 -> 192.0.2.1 (4500 -> 4500), in 0x2001 192.0.2.1 -> 10.0.0.2
 *   gateway SAs: in 0x1001 198.51.100.7:40001 -> 192.0.2.1:4500, out 0x2001 -> 198.51.100.7:40001
 */
export function natTunnel(o: NatTunnelOptions = {}): NatTunnel {
  const clock = new FakeClock(1000);
  const nat = new Nat(NAT_PUBLIC);
  const net = new Net(clock, nat);
  const port = o.port ?? 4500;
  const framing = o.framing ?? 'rfc3948';
  const role = framing === 'cisco-udp' ? 'cisco-udp' : 'natt';
  const client = net.host({
    name: 'client',
    address: CLIENT,
    behindNat: true,
    listeners: [{ address: '0.0.0.0', port, role }],
    localAddresses: [CLIENT],
    keepaliveIntervalMs: o.keepaliveIntervalMs,
  });
  const gateway = net.host({
    name: 'gateway',
    address: GATEWAY,
    listeners: [{ address: GATEWAY, port, role }],
    keepaliveIntervalMs: o.keepaliveIntervalMs,
  });
  const natPort = nat.map({ address: CLIENT, port });
  const encap = (sport: number, dport: number) => ({
    type: framing,
    sport,
    dport,
    ...(o.keepalive ? { keepalive: o.keepalive } : {}),
  });
  // client
  client.keys.addSa(
    saConfig({ spi: 0x1001, src: ip(CLIENT), dst: ip(GATEWAY), encapsulation: encap(port, port), natKeepalive: true }),
  );
  client.keys.addSa(
    saConfig({
      spi: 0x2001,
      src: ip(GATEWAY),
      dst: ip(CLIENT),
      encryption: { algorithm: 'aes-gcm-16', key: KEY_B },
      encapsulation: encap(port, port),
    }),
  );
  client.keys.addPolicy(tunnelPolicy('out', '10.1.0.2/32', '10.2.0.0/24', CLIENT, GATEWAY));
  client.keys.addPolicy(tunnelPolicy('in', '10.2.0.0/24', '10.1.0.2/32', GATEWAY, CLIENT));
  // gateway: the peer is the NAT's public endpoint
  const level = o.gatewayReqid
    ? { level: 'unique' as const, reqid: o.gatewayReqid }
    : { level: 'require' as const, reqid: 0 };
  gateway.keys.addSa(
    saConfig({
      spi: 0x1001,
      src: ip(NAT_PUBLIC),
      dst: ip(GATEWAY),
      encapsulation: encap(natPort, port),
      natFloat: true,
    }),
    { reqid: o.gatewayReqid ?? 0 },
  );
  gateway.keys.addSa(
    saConfig({
      spi: 0x2001,
      src: ip(GATEWAY),
      dst: ip(NAT_PUBLIC),
      encryption: { algorithm: 'aes-gcm-16', key: KEY_B },
      encapsulation: encap(port, natPort),
    }),
    { reqid: o.gatewayReqid ?? 0 },
  );
  gateway.keys.addPolicy(tunnelPolicy('in', '10.1.0.2/32', '10.2.0.0/24', NAT_PUBLIC, GATEWAY, level));
  gateway.keys.addPolicy(tunnelPolicy('out', '10.2.0.0/24', '10.1.0.2/32', GATEWAY, NAT_PUBLIC, level));
  return { clock, net, nat, client, gateway, natPort };
}

export const V6_CLIENT = '2001:db8:1::2';
export const V6_GATEWAY = '2001:db8:2::1';

export interface DirectPairOptions {
  readonly family: 4 | 6;
  readonly encap: 'none' | 'rfc3948' | 'udp-encaps-00';
  readonly port?: number;
  /** give host a its own address as localAddresses (default true) */
  readonly aLocal?: boolean;
}

/**
 * Two hosts without a NAT, tunnel mode, inner networks fd00:1::2/128 <-> fd00:2::/64 (IPv6)
 * or 10.1.0.2/32 <-> 10.2.0.0/24 (IPv4). SPIs: a->b 0x1001, b->a 0x2001. No natFloat and
 * no natKeepalive.
 */
export function directPair(o: DirectPairOptions): { clock: FakeClock; net: Net; a: Host; b: Host } {
  const clock = new FakeClock(1000);
  const net = new Net(clock);
  const v6 = o.family === 6;
  const A = v6 ? V6_CLIENT : CLIENT;
  const B = v6 ? V6_GATEWAY : GATEWAY;
  const wildcard = v6 ? '::' : '0.0.0.0';
  const port = o.port ?? (o.encap === 'udp-encaps-00' ? 500 : 4500);
  const role = o.encap === 'udp-encaps-00' ? 'ike-encaps-00' : 'natt';
  const a = net.host({
    name: 'a',
    address: A,
    listeners: [{ address: wildcard, port, role }],
    localAddresses: o.aLocal === false ? [] : [A],
  });
  const b = net.host({ name: 'b', address: B, listeners: [{ address: B, port, role }] });
  const encapsulation =
    o.encap === 'none' ? { type: 'none' as const, sport: 0, dport: 0 } : { type: o.encap, sport: port, dport: port };
  const innerA = v6 ? 'fd00:1::2/128' : '10.1.0.2/32';
  const innerB = v6 ? 'fd00:2::/64' : '10.2.0.0/24';
  for (const [h, self, peer, mine, theirs] of [
    [a, A, B, innerA, innerB],
    [b, B, A, innerB, innerA],
  ] as const) {
    const outSpi = h === a ? 0x1001 : 0x2001;
    const inSpi = h === a ? 0x2001 : 0x1001;
    h.keys.addSa(
      saConfig({
        spi: outSpi,
        src: ip(self),
        dst: ip(peer),
        encapsulation,
        encryption: { algorithm: 'aes-gcm-16', key: h === a ? KEY_A : KEY_B },
      }),
    );
    h.keys.addSa(
      saConfig({
        spi: inSpi,
        src: ip(peer),
        dst: ip(self),
        encapsulation,
        encryption: { algorithm: 'aes-gcm-16', key: h === a ? KEY_B : KEY_A },
      }),
    );
    h.keys.addPolicy(tunnelPolicy('out', mine, theirs, self, peer));
    h.keys.addPolicy(tunnelPolicy('in', theirs, mine, peer, self));
  }
  return { clock, net, a, b };
}
