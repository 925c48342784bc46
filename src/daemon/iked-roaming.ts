/**
 * MOBIKE roaming for the IKE daemon (RFC 4555 §3.5): when the host's addresses or routes
 * change, ask the kernel again which source address reaches each MOBIKE peer we initiated
 * to, and tell the engine when it moved (Ikev2Engine.localAddressChanged sends
 * UPDATE_SA_ADDRESSES). The address list feeds ADDITIONAL_*_ADDRESS (§3.4). Without
 * `ip monitor` the same check runs every `pollMs`.
 */

import type { Ikev2Engine } from '../ikev2/ikev2-engine.js';
import { addrsMatch } from '../ikev2/peer-match.js';
import { hostAddresses, watchAddresses } from '../io/address-monitor.js';
import { routeSource, routesFrom } from '../io/route-source.js';
import { bytesEqual } from '../util/hex.js';
import { formatIp, tryParseIp } from '../util/ip-addr.js';
import type { Logger } from '../util/logger.js';

export interface Roaming {
  close(): void;
}

export interface RoamingOptions {
  readonly engine: Ikev2Engine;
  readonly logger: Logger;
  /** execute the engine's actions (and re-arm its timer) */
  readonly run: () => void;
  /** the host's addresses changed: forget cached source addresses */
  readonly invalidate: () => void;
  readonly pollMs?: number;
}

export function startRoaming(o: RoamingOptions): Roaming {
  let poll: NodeJS.Timeout | undefined;
  let checking = false;
  let again = false;

  function ownAddresses(): Uint8Array[] {
    // Virtual IPs on the TUN are not addresses the peer can reach us at.
    const vips = o.engine.list().flatMap((sa) => sa.vipsLocal);
    return hostAddresses()
      .map((a) => tryParseIp(a)?.bytes)
      .filter((a): a is Uint8Array => a !== undefined && !vips.some((v) => bytesEqual(v, a)));
  }

  async function check(): Promise<void> {
    if (checking) {
      again = true;
      return;
    }
    checking = true;
    try {
      do {
        again = false;
        o.invalidate();
        o.engine.setLocalAddresses(ownAddresses());
        for (const sa of o.engine.list()) {
          if (!sa.initiator || !sa.mobike || sa.lifecycle.state !== 'established') continue;
          const remote = formatIp(sa.remote.address);
          // The current path stays while our address is still there and routes to the peer
          // (strongSwan's default, charon.prefer_best_path = no): a host with several
          // addresses does not hop to whichever one the kernel prefers as source.
          if (await routesFrom(formatIp(sa.local.address), remote)) continue;
          const src = await routeSource(remote);
          const now = src === undefined ? undefined : tryParseIp(src);
          if (!now || bytesEqual(now.bytes, sa.local.address)) continue;
          // Only to an address the connection's local_addrs allow (%any allows every one).
          if (sa.conn && !addrsMatch(sa.conn.localAddrs, now.bytes)) {
            o.logger.log('info', 'ike', `${sa.name}[#${sa.id}] local address ${now.text} not in local_addrs, staying`);
            continue;
          }
          o.logger.log(
            'info',
            'ike',
            `${sa.name}[#${sa.id}] local address ${formatIp(sa.local.address)} -> ${now.text}`,
          );
          o.engine.localAddressChanged(sa.id, now.bytes);
          o.run();
        }
      } while (again);
    } finally {
      checking = false;
    }
  }

  const fire = (): void => {
    void check().catch((e: unknown) =>
      o.logger.log('warn', 'ike', `MOBIKE address check failed: ${e instanceof Error ? e.message : String(e)}`),
    );
  };
  const monitor = watchAddresses(fire, {
    onError: (m) => {
      o.logger.log('warn', 'ike', `${m}; checking addresses every ${(o.pollMs ?? 5000) / 1000} s instead`);
      if (!poll) poll = setInterval(fire, o.pollMs ?? 5000);
    },
  });
  o.engine.setLocalAddresses(ownAddresses());
  return {
    close() {
      monitor.close();
      if (poll) clearInterval(poll);
    },
  };
}
