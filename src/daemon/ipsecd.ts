/**
 * `esprit ipsecd` composition: the key engine served on PF_KEY sockets, the control socket,
 * and (unless --no-dataplane) the data plane with its TUN, UDP listeners, raw ESP sockets and
 * the IKE channel.
 *
 *   KeyEngine <── pfkey-server (one or more sockets, each with a dialect)
 *       │  onChange              ^ deliver (ACQUIRE/EXPIRE/NEW_MAPPING from the data path)
 *       v                        │
 *   dataplane-io (TUN, UDP, raw ESP, one timer) <──> ike-channel-server (IKE daemons)
 *       │
 *       └──> status-report <── control-server (newline-delimited JSON)
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SadChange } from '../dataplane/key-hooks.js';
import type { SaEntry } from '../sad/sa-entry.js';
import type { Policy } from '../sad/spd.js';
import type { Clock } from '../util/clock.js';
import { type Logger, nullLogger } from '../util/logger.js';
import { type ControlServer, startControlServer } from './control-server.js';
import { type DataplaneIo, type DataplaneIoOptions, startDataplaneIo } from './dataplane-io.js';
import { type IkeChannelServer, startIkeChannelServer } from './ike-channel-server.js';
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
  /** the data plane; absent: key engine only (--no-dataplane) */
  readonly dataplane?: Omit<DataplaneIoOptions, 'engine' | 'clock' | 'logger' | 'pfkey' | 'toIke'> & {
    readonly engine: DataplaneIoOptions['engine'];
    /** the IKE channel socket */
    readonly ikeSocket: string;
    /** the engine's onChange is routed here: set by startIpsecd */
    readonly bindOnChange: (f: (c: SadChange) => void) => void;
  };
}

export interface Ipsecd {
  readonly pfkey: PfkeyServer;
  readonly control: ControlServer;
  readonly dataplane: DataplaneIo | undefined;
  readonly ike: IkeChannelServer | undefined;
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
  const d = o.dataplane;
  if (d) ensureDir(d.ikeSocket);
  let io: DataplaneIo | undefined;
  const pfkey = await startPfkeyServer({
    engine: o.engine,
    clock: o.clock,
    sockets: o.pfkeySockets,
    logger: log,
    ...(o.maxQueuedBytes !== undefined ? { maxQueuedBytes: o.maxQueuedBytes } : {}),
    // with a data plane, one timer (dataplane-io) serves the key engine and the data plane
    ...(d ? { ownTimer: false, onActivity: () => io?.rearm() } : {}),
  });
  let ike: IkeChannelServer | undefined;
  let control: ControlServer;
  try {
    if (d) {
      ike = await startIkeChannelServer({
        path: d.ikeSocket,
        logger: log,
        send: (local, remote, msg) => io?.sendIke(local, remote, msg),
      });
      const channel = ike;
      const { ikeSocket: _s, bindOnChange, ...rest } = d;
      // a PF_KEY client may already change the SAD while the data plane starts (TUN setup,
      // the sealing thread): its changes wait here and are applied in order once it runs
      const early: SadChange[] = [];
      bindOnChange((c) => early.push(c));
      io = await startDataplaneIo({
        ...rest,
        clock: o.clock,
        logger: log,
        pfkey: (ds) => pfkey.deliver(ds),
        toIke: (local, remote, msg) => channel.toClients(local, remote, msg),
      });
      const plane = io;
      bindOnChange((c) => plane.onSadChange(c));
      // each is idempotent against the state the data plane read at its start (sad.dump())
      for (const c of early) plane.onSadChange(c);
    }
  } catch (e) {
    await Promise.all([pfkey.close(), ike?.close()]);
    throw e;
  }
  try {
    control = await startControlServer({
      path: o.controlSocket,
      logger: log,
      status: async () => {
        await io?.refreshStatus();
        return buildStatusReport({
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
          ...(io ? { dataplane: io.status() } : {}),
          ...(ike ? { ikeChannel: ike } : {}),
          memory: process.memoryUsage(),
        });
      },
    });
  } catch (e) {
    await Promise.all([pfkey.close(), ike?.close(), io?.close()]);
    throw e;
  }
  return {
    pfkey,
    control,
    dataplane: io,
    ike,
    async close() {
      // closing the TUN fd removes the (non-persistent) device and its routes
      await Promise.all([pfkey.close(), control.close(), ike?.close(), io?.close()]);
      log.log('info', 'daemon', 'stopped');
    },
  };
}
