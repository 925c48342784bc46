/**
 * Two in-process IKEv1 engines joined by a scripted network, with an optional NAT in front of
 * the initiator that rewrites its source address and port (one mapping per local port, like
 * the lab's masquerade), the shape of ikev2-pair.ts. A FakeClock and SeededRngs make every run
 * byte-identical.
 */
import type { EspritConfig } from '../../src/config/swanctl/swanctl-model.js';
import type { ChildSaPlan } from '../../src/ike/child-sa-plan.js';
import type { IkeCredentials } from '../../src/ike/credentials.js';
import type { IkeEvent } from '../../src/ike/ike-events.js';
import type { Endpoint } from '../../src/ike/natd.js';
import type { Ikev1Action } from '../../src/ikev1/ikev1-actions.js';
import { Ikev1Engine } from '../../src/ikev1/ikev1-engine.js';
import { FakeClock } from '../../src/util/clock.js';
import { bytesEqual } from '../../src/util/hex.js';
import { formatIp } from '../../src/util/ip-addr.js';
import { MemoryLogger } from '../../src/util/logger.js';
import { SeededRng } from '../../src/util/rng.js';
import { ADDR, type Datagram, type Side } from './ikev2-pair.js';

export { ADDR, type Datagram, type Side };

export interface V1PeerState {
  engine: Ikev1Engine;
  logger: MemoryLogger;
  events: IkeEvent[];
  results: { requestId: number; ok: boolean; reason: string }[];
  /** CHILD SA plans installed, in order */
  installed: ChildSaPlan[];
  /** CHILD SA plans moved to a new peer endpoint (update-child), in order */
  updated: ChildSaPlan[];
  /** CHILD SA plans whose deferred outbound SA went in (activate-child), in order */
  activated: ChildSaPlan[];
  /** GETSPI requests not answered yet (with `holdSpis`) */
  spiRequests: { token: number; reqid: number }[];
  /** next SPI handed out: deterministic, distinct per side */
  nextSpi: number;
  /** virtual IPs on the TUN (vip-add / vip-remove), as dotted text */
  vips: string[];
}

export class Ikev1Pair {
  readonly clock = new FakeClock(1_000_000);
  readonly i: V1PeerState;
  readonly r: V1PeerState;
  readonly wire: Datagram[] = [];
  /** NAT in front of the initiator: local port -> public port */
  nat: Map<number, number> | undefined;
  /** leave GETSPI requests unanswered until `answerSpis` */
  holdSpis = false;
  private nextNatPort = 30000;

  constructor(
    iConfig: EspritConfig,
    rConfig: EspritConfig,
    opts: { nat?: boolean; seed?: bigint; credentials?: { i: IkeCredentials; r: IkeCredentials } } = {},
  ) {
    const mk = (cfg: EspritConfig, seed: bigint, credentials?: IkeCredentials): V1PeerState => {
      const logger = new MemoryLogger();
      return {
        engine: new Ikev1Engine(cfg, this.clock, new SeededRng(seed), logger, credentials ? { credentials } : {}),
        logger,
        events: [],
        results: [],
        installed: [],
        updated: [],
        activated: [],
        spiRequests: [],
        nextSpi: seed === (opts.seed ?? 11n) ? 0xc1000001 : 0xc2000001,
        vips: [],
      };
    };
    const seed = opts.seed ?? 11n;
    this.i = mk(iConfig, seed, opts.credentials?.i);
    this.r = mk(rConfig, seed + 1000n, opts.credentials?.r);
    if (opts.nat ?? true) this.nat = new Map();
  }

  peer(s: Side): V1PeerState {
    return s === 'i' ? this.i : this.r;
  }

  initiate(conn: string, requestId = 1): void {
    this.i.engine.initiate(conn, ADDR.initiator, ADDR.responder, requestId);
    this.run('i');
  }

  run(s: Side): void {
    const p = this.peer(s);
    for (const a of p.engine.takeActions()) this.act(s, p, a);
  }

  private act(s: Side, p: V1PeerState, a: Ikev1Action): void {
    if (a.kind === 'send') this.wire.push({ from: s, local: a.local, remote: a.remote, bytes: a.bytes });
    else if (a.kind === 'event') p.events.push(a.event);
    else if (a.kind === 'get-spi') {
      p.spiRequests.push({ token: a.token, reqid: a.reqid });
      if (!this.holdSpis) this.answerSpis(s);
    } else if (a.kind === 'install-child') p.installed.push(a.plan);
    else if (a.kind === 'remove-child') p.installed = p.installed.filter((x) => x !== a.plan);
    else if (a.kind === 'vip-add') p.vips.push(formatIp(a.address));
    else if (a.kind === 'vip-remove') p.vips = p.vips.filter((x) => x !== formatIp(a.address));
    else if (a.kind === 'update-child') p.updated.push(a.plan);
    else if (a.kind === 'activate-child') p.activated.push(a.plan);
    else p.results.push({ requestId: a.requestId, ok: a.ok, reason: a.reason });
  }

  /** Answer the pending GETSPIs of side `s` (PF_KEY's part). */
  answerSpis(s: Side): void {
    const p = this.peer(s);
    for (const r of p.spiRequests.splice(0)) p.engine.spiAllocated(r.token, p.nextSpi++);
    this.run(s);
  }

  next(): Datagram {
    const d = this.wire.shift();
    if (!d) throw new Error('no datagram on the wire');
    return d;
  }

  /** Deliver a datagram to the other side (through the NAT when there is one). */
  deliver(d: Datagram): void {
    if (d.from === 'i') {
      let src: Endpoint = d.local;
      if (this.nat) {
        let pub = this.nat.get(d.local.port);
        if (pub === undefined) {
          pub = this.nextNatPort++;
          this.nat.set(d.local.port, pub);
        }
        src = { address: ADDR.natPublic, port: pub };
      }
      this.r.engine.receive(d.remote, src, d.bytes);
      this.run('r');
    } else {
      let dst: Endpoint = d.remote;
      if (this.nat) {
        const local = [...this.nat.entries()].find(([, pub]) => pub === d.remote.port)?.[0];
        if (local === undefined || !bytesEqual(d.remote.address, ADDR.natPublic)) return;
        dst = { address: ADDR.initiator, port: local };
      }
      this.i.engine.receive(dst, d.local, d.bytes);
      this.run('i');
    }
  }

  flush(limit = 50): number {
    let n = 0;
    while (this.wire.length > 0 && n < limit) {
      this.deliver(this.next());
      n++;
    }
    return n;
  }

  advance(ms: number): void {
    this.clock.advance(ms);
    this.i.engine.tick();
    this.run('i');
    this.r.engine.tick();
    this.run('r');
  }

  log(s: Side, verb: 'generating' | 'parsed'): string[] {
    return this.peer(s)
      .logger.lines.filter((l) => l.includes(` ${verb} `))
      .map((l) => l.slice(l.indexOf(` ${verb} `) + verb.length + 2));
  }
}

export const ep = (e: Endpoint): string => `${formatIp(e.address)}:${e.port}`;
