/**
 * What an exchange may use of the engine (engine.ts implements it): configuration, the
 * injected clock and randomness, sending requests through the SA's window, answering,
 * asking the rim for SPIs, and reporting actions.
 */
import type { EspritConfig } from '../config/swanctl/swanctl-model.js';
import type { AddressPool } from '../ike/address-pool.js';
import type { IkeEvent } from '../ike/ike-events.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { Rng } from '../util/rng.js';
import type { IkePayload } from '../wire/ike/ike-types.js';
import type { IkeCredentials } from './credentials.js';
import type { ChildSa, IkeSa } from './ike-sa.js';
import type { Ikev2Action } from './ikev2-actions.js';

export interface Ikev2Context {
  readonly config: EspritConfig;
  readonly clock: Clock;
  readonly rng: Rng;
  readonly logger: Logger;
  readonly pools: ReadonlyMap<string, AddressPool>;
  readonly credentials: IkeCredentials;
  /** our addresses as the daemon last reported them (MOBIKE ADDITIONAL_*_ADDRESS, RFC 4555 §3.4) */
  readonly localAddresses: readonly Uint8Array[];
  emit(action: Ikev2Action): void;
  event(e: IkeEvent): void;
  /**
   * Queue a request on `sa` (sent when the window is free), handling its response. A function
   * for `payloads` is called when the request is sent (a MOBIKE update reads the addresses then).
   */
  request(
    sa: IkeSa,
    exchange: number,
    payloads: IkePayload[] | (() => IkePayload[]),
    onResponse: (sa: IkeSa, payloads: IkePayload[]) => void,
    onTimeout?: (sa: IkeSa) => void,
  ): void;
  /** Ask the rim for an inbound ESP SPI (GETSPI); `then` runs with it, or with undefined on failure. */
  getSpi(sa: IkeSa, reqid: number, then: (spi: number | undefined) => void): void;
  /** A reqid for a CHILD SA config (stable per connection/child name, as strongSwan's). */
  reqidFor(conn: string, child: string): number;
  /** A CHILD SA was created (its rekey timer starts). */
  childAdded(sa: IkeSa, child: ChildSa): void;
  /** Tear the IKE SA down locally (no message), removing its CHILD SAs and leases. */
  destroy(sa: IkeSa, reason: string): void;
  random32(): number;
  /** Another IKE SA of this one's connection to the same peer address exists (INITIAL_CONTACT). */
  hasSiblingIkeSa(sa: IkeSa): boolean;
}
