/**
 * What the data plane needs from the key engine (src/pfkey/key-engine.ts):
 * the SAD and SPD it reads per packet, and four hooks that turn data-path events into
 * PF_KEY messages (ACQUIRE, EXPIRE, X_NAT_T_NEW_MAPPING). The real KeyEngine satisfies it
 * structurally (checked in dataplane-key-engine.test.ts); tests may use a smaller fake.
 * `SadChange` (the key engine's onChange) goes to Dataplane.onSadChange; `released` are the
 * packets the acquire table held for the SA (RFC 4301 §5.1 step 3a), to go out now.
 */
import type { ClientId, Delivery, SadChange } from '../pfkey/key-engine.js';
import type { Endpoint, SadView, SaEntry } from '../sad/sa-entry.js';
import type { PacketTuple } from '../sad/selector.js';
import type { Policy, Spd } from '../sad/spd.js';

export type { ClientId, Delivery, SadChange };

export interface DataplaneKeyHooks {
  readonly sad: SadView;
  readonly spd: Spd;
  /**
   * An outbound packet matched an ipsec policy and no SA exists: ACQUIRE (rate-limited) and
   * maybe hold a copy of the packet (`held`). The packet is only borrowed for the call.
   * `forwarded`: the key engine runs in another thread, which got a copy and counts the
   * outcome (held or dropped) itself (replica-keys.ts).
   */
  onOutboundNoSa(
    policy: Policy,
    tuple: PacketTuple,
    packet: Uint8Array,
  ): { readonly deliveries: readonly Delivery[]; readonly held: boolean; readonly forwarded?: boolean };
  /** Traffic on an SA (SAD byte/packet lifetimes, RFC 2367 §2.3.3); EXPIRE deliveries when a limit was crossed. */
  onSaUsed(entry: SaEntry, bytes: number, packets: number): readonly Delivery[];
  /**
   * An authenticated, non-replayed packet on the inbound SA `entry` came from `to`: move the
   * SA and the reverse-path outbound SAs (Sad.updateMapping) and report
   * X_NAT_T_NEW_MAPPING (RFC 3947 §7, RFC 7296 §2.23).
   */
  onNatMapping(entry: SaEntry, to: Endpoint): readonly Delivery[];
  /** The ESP engine crossed the SA's soft or hard byte/packet lifetime. */
  onLifetimeEvent(entry: SaEntry, which: 'soft' | 'hard'): readonly Delivery[];
}
