/**
 * What the parts of the IKEv1 engine share (ikev1-engine.ts and the files it is split into:
 * engine-wiring.ts, sa-lifecycle.ts, phase1-dispatch.ts, ikev1-timers.ts): the table of ISAKMP
 * SAs by initiator cookie, the queue of actions, the drop counters and the sub-engines.
 * Internal to src/ikev1/; the engine's public API is `Ikev1Engine`.
 */
import type { EspritConfig } from '../config/swanctl/swanctl-model.js';
import type { AddressPool } from '../ike/address-pool.js';
import type { IkeEvent } from '../ike/ike-events.js';
import type { RetransmitSettings } from '../ike/retransmit.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { Rng } from '../util/rng.js';
import { summarizeIsakmp } from '../wire/isakmp/isakmp-summary.js';
import type { IsakmpHeader, IsakmpPayload } from '../wire/isakmp/isakmp-types.js';
import type { Ikev1Action } from './ikev1-actions.js';
import type { Ikev1Sa } from './ikev1-sa.js';
import type { InformationalTasks } from './informational-tasks.js';
import type { MainModeContext } from './main-mode.js';
import type { Phase1Rekeys } from './phase1-rekey.js';
import type { Phase2Exchanges } from './phase2-exchanges.js';
import type { Transactions } from './transaction.js';
import type { ClientTransactions } from './transaction-client.js';

export type Ikev1Drop =
  | 'malformed'
  | 'no-sa'
  | 'not-main-mode'
  | 'undecryptable'
  | 'unexpected'
  | 'half-open-expired'
  | 'fragment';

/** The exchanges that run on an ISAKMP SA besides phase 1 (engine-wiring.ts builds them). */
export interface SubEngines {
  readonly phase2: Phase2Exchanges;
  readonly info: InformationalTasks;
  /** gateway side of XAUTH and Mode Config */
  readonly transactions: Transactions;
  /** client side of XAUTH and Mode Config */
  readonly clientTx: ClientTransactions;
  readonly phase1: Phase1Rekeys;
}

export interface EngineCore extends SubEngines {
  readonly sas: Map<bigint, Ikev1Sa>;
  readonly actions: Ikev1Action[];
  readonly drops: Map<Ikev1Drop, number>;
  readonly clock: Clock;
  readonly rng: Rng;
  readonly logger: Logger;
  readonly retransmit: RetransmitSettings;
  /** responder SAs not established after this are dropped, ms */
  readonly halfOpenTimeoutMs: number;
  /** the current configuration (a reload replaces it), its Main Mode context and pools */
  config(): EspritConfig;
  ctx(): MainModeContext;
  pools(): Map<string, AddressPool>;
  /** the number of the next ISAKMP SA (`ike1#N` in logs and events) */
  nextId: number;
}

export function drop(core: EngineCore, why: Ikev1Drop, detail: string): void {
  core.drops.set(why, (core.drops.get(why) ?? 0) + 1);
  core.logger.log('debug', 'ike', `dropped IKEv1 message (${why}): ${detail}`);
}

export function emit(core: EngineCore, e: IkeEvent): void {
  core.actions.push({ kind: 'event', event: e });
}

/** charon's form: `generating ID_PROT request 0 [ SA V V ]` (encrypted messages by their plaintext). */
export function logMessage(
  core: EngineCore,
  sa: Ikev1Sa,
  dir: 'generating' | 'parsed',
  header: IsakmpHeader,
  ps: readonly IsakmpPayload[],
  fromInitiator: boolean,
): void {
  core.logger.log('info', 'enc', `[ike1#${sa.id}] ${dir} ${summarizeIsakmp(header, ps, !fromInitiator)}`);
}

/** A random non-zero ISAKMP cookie (RFC 2408 §2.5.3). */
export function newCookie(rng: Rng): bigint {
  const b = new Uint8Array(8);
  do rng.fill(b);
  while (b.every((x) => x === 0));
  return new DataView(b.buffer).getBigUint64(0);
}
