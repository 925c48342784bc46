/**
 * The IKE channel of `esprit ipsecd` (docs/ike-channel.md): IKE messages between the data
 * plane's UDP listeners and IKE daemons, framed by src/wire/ike-channel over a Unix stream
 * socket (Node has no Unix datagram sockets).
 *
 *   network ──> Dataplane.fromUdp ──sink.toIke(local, remote, ike)──> every connected client
 *   client  ──frame(local, remote, ike)──> Dataplane.sendIke ──> the listener at `local`
 *
 * Received IKE goes to every connected client (an IKE daemon and, say, a monitor), best
 * effort: a client that does not read loses frames (counted). A malformed frame from a
 * client closes that connection (a stream cannot be resynchronised).
 */
import { listenUnixStream, type UnixConnection, type UnixStreamServer } from '../io/unix-stream-server.js';
import { type Logger, nullLogger } from '../util/logger.js';
import {
  encodeIkeChannelFrame,
  type IkeChannelEndpoint,
  splitIkeChannelStream,
} from '../wire/ike-channel/ike-channel-frame.js';

export interface IkeChannelServerOptions {
  readonly path: string;
  readonly mode?: number;
  readonly logger?: Logger;
  /** IKE from a client, to send (Dataplane.sendIke) */
  readonly send: (local: IkeChannelEndpoint, remote: IkeChannelEndpoint, ike: Uint8Array) => void;
  /** per-connection write-queue bound (default 4 MiB) */
  readonly maxQueuedBytes?: number;
}

export interface IkeChannelCounters {
  framesIn: number;
  framesOut: number;
  /** received IKE with no client connected */
  noClient: number;
  /** frames a client did not read in time */
  drops: number;
  /** connections closed for a malformed frame */
  framingErrors: number;
}

export interface IkeChannelServer {
  readonly path: string;
  readonly connections: number;
  readonly counters: IkeChannelCounters;
  /** IKE received from the network: to every connected client. */
  toClients(local: IkeChannelEndpoint, remote: IkeChannelEndpoint, ike: Uint8Array): void;
  close(): Promise<void>;
}

export async function startIkeChannelServer(o: IkeChannelServerOptions): Promise<IkeChannelServer> {
  const log = o.logger ?? nullLogger;
  const counters: IkeChannelCounters = { framesIn: 0, framesOut: 0, noClient: 0, drops: 0, framingErrors: 0 };
  const clients = new Set<UnixConnection>();

  function onConnection(conn: UnixConnection): void {
    clients.add(conn);
    let rest: Uint8Array = new Uint8Array(0);
    let dead = false;
    conn.onClose(() => clients.delete(conn));
    conn.onData((chunk) => {
      if (dead) return;
      const buf = rest.length === 0 ? chunk : Buffer.concat([rest, chunk]);
      let split: ReturnType<typeof splitIkeChannelStream>;
      try {
        split = splitIkeChannelStream(buf);
      } catch (e) {
        dead = true;
        counters.framingErrors++;
        log.log('warn', 'daemon', `ike-channel conn#${conn.id}: closing: ${(e as Error).message}`);
        conn.close();
        return;
      }
      rest = split.rest.slice();
      for (const f of split.frames) {
        counters.framesIn++;
        o.send(f.local, f.remote, f.ike);
      }
    });
  }

  const server: UnixStreamServer = await listenUnixStream({
    path: o.path,
    mode: o.mode ?? 0o600,
    maxQueuedBytes: o.maxQueuedBytes ?? 4 << 20,
    onConnection,
  });
  log.log('info', 'daemon', `IKE channel on ${o.path}`);
  return {
    path: o.path,
    get connections() {
      return clients.size;
    },
    counters,
    toClients(local, remote, ike) {
      if (clients.size === 0) {
        counters.noClient++;
        return;
      }
      let frame: Uint8Array;
      try {
        frame = encodeIkeChannelFrame({ local, remote, ike });
      } catch {
        counters.drops++;
        return;
      }
      for (const c of clients) {
        if (c.write(frame)) counters.framesOut++;
        else counters.drops++;
      }
    },
    close: () => server.close(),
  };
}
