/**
 * The main thread's end of the sealing worker (seal-worker.ts, docs/dataplane.md §10.9):
 * starts it, posts it the key engine's changes, hands its events to the main Dataplane and
 * asks it for its status. A worker that dies while the daemon runs is fatal (`onFatal`): its
 * outbound SAs' sequence numbers died with it, and starting them again at 1 would reuse
 * AES-GCM nonces (RFC 4106 §3.1), so the daemon stops rather than restart it.
 */
import { Worker } from 'node:worker_threads';
import type { SealerEvent, ToSealer } from '../dataplane/replica-keys.js';
import type { Logger } from '../util/logger.js';
import type { FromWorker, SealerStatus, SealWorkerData, ToWorker } from './seal-worker-protocol.js';

export interface SealWorker {
  /** the crypto backend the worker loaded (evp, node) and whether its native helper did */
  readonly backend: string;
  readonly native: boolean;
  post(m: ToSealer): void;
  /** the worker's counters now (undefined when it does not answer within 2 s) */
  status(): Promise<SealerStatus | undefined>;
  /** stop it; resolves when its thread has exited (it no longer touches the fds) */
  close(): Promise<void>;
}

export interface SealWorkerOptions {
  readonly data: SealWorkerData;
  readonly logger: Logger;
  readonly onEvents: (events: readonly SealerEvent[]) => void;
  readonly onFatal: (err: Error) => void;
}

const STATUS_TIMEOUT_MS = 2000;
const CLOSE_TIMEOUT_MS = 5000;

export function startSealWorker(o: SealWorkerOptions): Promise<SealWorker> {
  const w = new Worker(new URL('./seal-worker.js', import.meta.url), { workerData: o.data });
  const send = (m: ToWorker): void => w.postMessage(m);
  const waiting = new Map<number, (s: SealerStatus | undefined) => void>();
  let nextId = 1;
  let closing = false;
  let exited = false;
  const exit = new Promise<void>((resolve) => w.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let ready = false;
    w.on('message', (m: FromWorker) => {
      switch (m.kind) {
        case 'ready':
          ready = true;
          resolve({
            backend: m.backend,
            native: m.native,
            post: (msg) => {
              if (!exited) send(msg);
            },
            status() {
              if (exited) return Promise.resolve(undefined);
              const id = nextId++;
              return new Promise((done) => {
                const t = setTimeout(() => {
                  waiting.delete(id);
                  done(undefined);
                }, STATUS_TIMEOUT_MS);
                waiting.set(id, (s) => {
                  clearTimeout(t);
                  done(s);
                });
                send({ kind: 'status', id });
              });
            },
            async close() {
              if (exited) return;
              closing = true;
              send({ kind: 'close' });
              const t = setTimeout(() => void w.terminate(), CLOSE_TIMEOUT_MS);
              await exit;
              clearTimeout(t);
            },
          });
          return;
        case 'events':
          o.onEvents(m.events);
          return;
        case 'status':
          waiting.get(m.id)?.(m.status);
          waiting.delete(m.id);
          return;
        case 'log':
          o.logger.log(m.level, m.area, m.text);
          return;
        case 'closed':
          return;
      }
    });
    w.on('error', (e) => {
      if (!ready) reject(e);
      else if (!closing) o.onFatal(e);
    });
    w.on('exit', (code) => {
      exited = true;
      for (const f of waiting.values()) f(undefined);
      waiting.clear();
      if (!ready) reject(new Error(`the sealing thread exited before it was ready (code ${code})`));
      else if (!closing) o.onFatal(new Error(`the sealing thread exited (code ${code})`));
    });
  });
}
