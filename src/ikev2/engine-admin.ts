/**
 * Administrative operations on the engine's IKE SAs: `esprit down`, `esprit reload` and the
 * SIGTERM shutdown.
 */
import type { EspritConfig } from '../config/swanctl/swanctl-model.js';
import { ExchangeType, type IkePayload } from '../wire/ike/ike-types.js';
import { deleteIke } from './exchange-info.js';
import type { IkeSa } from './ike-sa.js';
import type { Ikev2Context } from './ikev2-context.js';
import { logSent } from './message-log.js';
import { sealMessage } from './sk-message.js';

/** What these operations need of the engine (an interface: no import cycle). */
export interface AdminEngine extends Ikev2Context {
  list(): IkeSa[];
  loadPools(config: EspritConfig): void;
}

/** Every IKE SA of a connection goes through a Delete exchange (or is dropped if not up). */
export function terminateConn(engine: AdminEngine, connName: string): number {
  let n = 0;
  for (const sa of engine.list()) {
    if (sa.conn?.name !== connName) continue;
    n++;
    if (sa.lifecycle.state === 'established') {
      sa.lifecycle.transition('deleting', 'terminate', engine.clock.now());
      deleteIke(engine, sa, 'terminated locally');
    } else engine.destroy(sa, 'terminated locally');
  }
  return n;
}

/** SIGTERM: one Delete per established IKE SA, sent without waiting, then everything destroyed. */
export function shutdownEngine(engine: AdminEngine): void {
  for (const sa of engine.list()) {
    if (sa.lifecycle.state === 'established' && sa.keys) {
      const mid = sa.window.canSend() ? sa.window.beginRequest() : (sa.pending?.messageId ?? 0) + 1;
      const payloads: IkePayload[] = [{ kind: 'D', protocolId: 1, spiSize: 0, spis: [] }];
      const bytes = sealMessage(sa, ExchangeType.INFORMATIONAL, false, mid, payloads, engine.rng);
      logSent(engine.logger, sa, ExchangeType.INFORMATIONAL, false, mid, payloads);
      engine.emit({ kind: 'send', local: sa.local, remote: sa.remote, bytes });
    }
    engine.destroy(sa, 'daemon shutting down');
  }
}

/**
 * `esprit reload`: the new configuration takes effect for new negotiations; IKE SAs whose
 * connection is unchanged keep running (bound to the new object), those whose connection
 * changed or disappeared are deleted (Delete exchange). Returns the names deleted.
 */
export function reloadEngine(engine: AdminEngine, config: EspritConfig): string[] {
  const same = (a: unknown, b: unknown): boolean =>
    JSON.stringify(a, (k, v: unknown) => (k === 'pos' ? undefined : v instanceof Uint8Array ? [...v] : v)) ===
    JSON.stringify(b, (k, v: unknown) => (k === 'pos' ? undefined : v instanceof Uint8Array ? [...v] : v));
  const dropped: string[] = [];
  for (const sa of [...engine.list()]) {
    const old = sa.conn;
    if (!old) continue;
    const next = config.connections.find((c) => c.name === old.name);
    if (next && same(old, next)) {
      sa.conn = next;
      continue;
    }
    dropped.push(old.name);
    if (sa.lifecycle.state === 'established') {
      sa.lifecycle.transition('deleting', 'reload', engine.clock.now());
      deleteIke(engine, sa, 'connection changed by reload');
    } else engine.destroy(sa, 'connection changed by reload');
  }
  engine.loadPools(config);
  return dropped;
}
