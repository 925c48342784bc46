/**
 * `esprit ipsecd` composition: the key engine served on PF_KEY sockets plus the control
 * socket. (The data plane — TUN, UDP listeners — joins here later.)
 *
 *   KeyEngine <── pfkey-server (one or more sockets, each with a dialect)
 *       │
 *       └──> status-report <── control-server (newline-delimited JSON)
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SaEntry } from '../sad/sad.js';
import type { Policy } from '../sad/spd.js';
import type { Clock } from '../util/clock.js';
import { type Logger, nullLogger } from '../util/logger.js';
import { type ControlServer, startControlServer } from './control-server.js';
import { type PfkeyEngineLike, type PfkeyServer, type PfkeySocketSpec, startPfkeyServer } from './pfkey-server.js';
import { buildStatusReport } from './status-report.js';

export const ESPRIT_VERSION = '0.1.0';

/** The key engine as ipsecd uses it: served over PF_KEY, its tables shown by `status`. */
export interface IpsecdEngine extends PfkeyEngineLike {
  readonly sad: { dump(): readonly SaEntry[] };
  readonly spd: { dump(): readonly Policy[] };
}

export interface IpsecdOptions {
  readonly engine: IpsecdEngine;
  readonly clock: Clock;
  readonly pfkeySockets: readonly PfkeySocketSpec[];
  readonly controlSocket: string;
  readonly logger?: Logger;
  readonly maxQueuedBytes?: number;
}

export interface Ipsecd {
  readonly pfkey: PfkeyServer;
  readonly control: ControlServer;
  close(): Promise<void>;
}

const isWindows = process.platform === 'win32';

/** Create the socket's directory (mode 0755, as /run/<daemon>); the socket itself is 0600. */
function ensureDir(path: string): void {
  if (isWindows) return;
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
}

export async function startIpsecd(o: IpsecdOptions): Promise<Ipsecd> {
  const log = o.logger ?? nullLogger;
  const startedMs = o.clock.now();
  for (const s of o.pfkeySockets) ensureDir(s.path);
  ensureDir(o.controlSocket);
  const pfkey = await startPfkeyServer({
    engine: o.engine,
    clock: o.clock,
    sockets: o.pfkeySockets,
    logger: log,
    ...(o.maxQueuedBytes !== undefined ? { maxQueuedBytes: o.maxQueuedBytes } : {}),
  });
  let control: ControlServer;
  try {
    control = await startControlServer({
      path: o.controlSocket,
      logger: log,
      status: () =>
        buildStatusReport({
          sad: o.engine.sad,
          spd: o.engine.spd,
          engineStats: o.engine.stats,
          sockets: [
            ...pfkey.sockets.map((s) => ({ kind: 'pfkey' as const, ...s })),
            { kind: 'control', path: control.path, connections: control.connections, drops: control.drops },
          ],
          counters: { ...pfkey.counters, controlRequests: control.requests },
          startedMs,
          nowMs: o.clock.now(),
          version: ESPRIT_VERSION,
        }),
    });
  } catch (e) {
    await pfkey.close();
    throw e;
  }
  return {
    pfkey,
    control,
    async close() {
      await Promise.all([pfkey.close(), control.close()]);
      log.log('info', 'daemon', 'stopped');
    },
  };
}
