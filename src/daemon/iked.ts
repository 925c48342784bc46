/**
 * `esprit iked` composition: the IKEv2 and IKEv1 engines between the IKE channel (IKE
 * messages from and to ipsecd's UDP listeners, told apart by the header's version) and PF_KEY
 * (SAs and policies into ipsecd's key engine), with
 * its control socket for `esprit up|down|list-sas|list-conns|reload|monitor`, the TUN's
 * virtual IPs and routes, and one timer.
 *
 *   ipsecd ──IKE channel──> IkeChannelClient ──> Ikev2Engine.receive ──> actions
 *   ipsecd <──PF_KEY────── IkedKernel <── install/remove/update/get-spi ─┘
 */
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EspritConfig } from '../config/swanctl/swanctl-model.js';
import { parseTsList, tsToString } from '../config/traffic-selector.js';
import { loadPrivateKey, type PrivateKey } from '../crypto/ike/signature-auth.js';
import { type Cert, parseCertificate } from '../crypto/ike/x509-chain.js';
import { type Crl, parseCrl } from '../crypto/ike/x509-crl.js';
import { NodeRng } from '../crypto/random.js';
import { formatIdentity } from '../ike/identity.js';
import { formatEvent, type IkeEvent } from '../ike/ike-events.js';
import type { Endpoint } from '../ike/natd.js';
import type { Ikev1Action } from '../ikev1/ikev1-actions.js';
import { Ikev1Engine } from '../ikev1/ikev1-engine.js';
import { algorithmsText } from '../ikev2/algorithms-text.js';
import type { IkeCredentials } from '../ikev2/credentials.js';
import type { IkeSa } from '../ikev2/ike-sa.js';
import type { ChildSaPlan, Ikev2Action } from '../ikev2/ikev2-actions.js';
import { Ikev2Engine } from '../ikev2/ikev2-engine.js';
import { ikev2DecryptionRow } from '../ikev2/wireshark-keys.js';
import { routeSource } from '../io/route-source.js';
import { runShell } from '../io/run-shell.js';
import type { Clock } from '../util/clock.js';
import { formatIp, parseIp, tryParseIp } from '../util/ip-addr.js';
import type { Logger } from '../util/logger.js';
import { IkeChannelClient } from './ike-channel-client.js';
import type { IkeSaReport } from './ike-sa-report.js';
import { type IkedControl, startIkedControl } from './iked-control.js';
import { startEspLiveness } from './iked-esp-liveness.js';
import type { IkedKernel } from './iked-kernel.js';
import { startRoaming } from './iked-roaming.js';
import { IkedRoutes } from './iked-routes.js';
import { ikev1SaReport } from './ikev1-report.js';
import { KernelSequencer } from './kernel-sequencer.js';
import { resolveConfigHosts } from './resolve-hosts.js';
import { type UpdownSa, UpdownTracker, updownEnv } from './updown.js';

export interface IkedOptions {
  readonly config: EspritConfig;
  /** re-reads the config file for `reload` */
  readonly reloadConfig: () => { config?: EspritConfig; errors: string[] };
  readonly ikeSocket: string;
  readonly controlSocket: string;
  readonly kernel: IkedKernel;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly tunName: string;
}

export interface Iked {
  readonly engine: Ikev2Engine;
  readonly ikev1: Ikev1Engine;
  readonly control: IkedControl;
  /** SIGTERM: Deletes to every peer, SAs, policies, routes and addresses removed */
  shutdown(): Promise<void>;
}

/** RFC 2408 §3.1 / RFC 7296 §3.1: MjVer is the high nibble of octet 17 of the IKE header. */
const isakmpMajorVersion = (ike: Uint8Array): number => (ike[17] ?? 0) >> 4;

const toEndpoint = (e: { address: string; port: number }): Endpoint => ({
  address: parseIp(e.address).bytes,
  port: e.port,
});
const fromEndpoint = (e: Endpoint): { address: string; port: number } => ({
  address: formatIp(e.address),
  port: e.port,
});

export async function startIked(opts: IkedOptions): Promise<Iked> {
  const log = opts.logger;
  // Host names in local_addrs/remote_addrs become addresses (config/host-names.ts).
  const o: IkedOptions = { ...opts, config: await resolveConfigHosts(opts.config, log) };
  const engine = new Ikev2Engine(o.config, o.clock, new NodeRng(), log, {
    credentials: loadCredentials(o.config, log),
    retransmit: {
      timeoutMs: o.config.host.retransmitTimeout * 1000,
      base: o.config.host.retransmitBase,
      tries: o.config.host.retransmitTries,
      limitMs: 0,
      jitterPercent: 0,
    },
    cookieThreshold: o.config.host.cookieThreshold,
    halfOpenPerSource: o.config.host.halfOpenPerSource,
  });
  // IKEv1 (docs/ikev1.md): same channel, PF_KEY client and reqid allocator as IKEv2.
  const ikev1 = new Ikev1Engine(o.config, o.clock, new NodeRng(), log, {
    retransmit: {
      timeoutMs: o.config.host.retransmitTimeout * 1000,
      base: o.config.host.retransmitBase,
      tries: o.config.host.retransmitTries,
      limitMs: 0,
      jitterPercent: 0,
    },
    reqidFor: (c, ch) => engine.reqidFor(c, ch),
    credentials: engine.credentials,
  });
  const channel = await IkeChannelClient.connect(o.ikeSocket);
  const routes = new IkedRoutes(o.tunName, log);
  const monitors = new Set<(e: IkeEvent) => void>();
  const upWaiters = new Map<number, (ok: boolean, reason: string) => void>();
  let nextUp = 1;
  let timer: NodeJS.Timeout | undefined;
  let shuttingDown = false;
  const sourceCache = new Map<string, string>();
  /** kernel work runs in order, and IKE messages wait for the kernel work before them (kernel-sequencer.ts) */
  const sequencer = new KernelSequencer((what, e) =>
    log.log('warn', 'ike', `${what} failed: ${e instanceof Error ? e.message : String(e)}`),
  );
  const kernelDo = (what: string, f: () => Promise<void>): void => sequencer.kernel(what, f);

  function run(): void {
    for (const a of engine.takeActions()) act(a);
    for (const a of ikev1.takeActions()) act1(a);
    arm();
  }

  function arm(): void {
    if (timer) clearTimeout(timer);
    const d2 = engine.nextDeadline();
    const d1 = ikev1.nextDeadline();
    const d = d1 === undefined ? d2 : d2 === undefined ? d1 : Math.min(d1, d2);
    if (d === undefined) return;
    timer = setTimeout(
      () => {
        engine.tick();
        ikev1.tick();
        run();
      },
      Math.max(0, Math.min(d - o.clock.now(), 60_000)),
    );
  }

  function act(a: Ikev2Action): void {
    switch (a.kind) {
      case 'send':
        sequencer.send(() => channel.send(fromEndpoint(a.local), fromEndpoint(a.remote), a.bytes));
        return;
      case 'get-spi': {
        const { token } = a;
        o.kernel
          .getSpi(a.src, a.dst, a.reqid)
          .then(
            (spi) => engine.spiAllocated(token, spi),
            (e: unknown) => {
              log.log('warn', 'ike', `GETSPI failed: ${e instanceof Error ? e.message : String(e)}`);
              engine.spiAllocated(token, undefined);
            },
          )
          .finally(run);
        return;
      }
      case 'install-child': {
        const plan = a.plan;
        // Only a CHILD SA with an updown script needs its IKE SA's report (a scan of every IKE
        // SA and a report per CHILD SA would cost each setup of a busy gateway, bench/ike).
        const sa = updownScript(plan) ? engine.list().find((x) => x.id === plan.ikeId) : undefined;
        kernelDo(`installing CHILD SA ${plan.child}`, async () => {
          await o.kernel.install(plan);
          await routes.add(plan, peerOf(plan));
          if (sa) updown(plan, saReport(sa), true);
        });
        return;
      }
      case 'remove-child': {
        const plan = a.plan;
        kernelDo(`removing CHILD SA ${plan.child}`, async () => {
          updown(plan, undefined, false);
          await routes.remove(plan);
          await o.kernel.remove(plan);
          // start_action = trap: the trap policy comes back, as strongSwan's trap manager.
          const c = engine.config.connections.find((x) => x.name === plan.conn);
          const ch = c?.children.find((x) => x.name === plan.child);
          if (c && ch?.startAction.includes('trap') && !shuttingDown) await o.kernel.installTrap(c, ch, plan.reqid);
        });
        return;
      }
      case 'activate-child': {
        const plan = a.plan;
        kernelDo(`activating CHILD SA ${plan.child}`, () => o.kernel.activate(plan));
        return;
      }
      case 'update-child': {
        const plan = a.plan;
        kernelDo(`updating CHILD SA ${plan.child}`, () => o.kernel.update(plan));
        return;
      }
      case 'vip-add': {
        const { address } = a;
        kernelDo('adding virtual IP', () => routes.addVip(address));
        return;
      }
      case 'vip-remove': {
        const { address } = a;
        kernelDo('removing virtual IP', () => routes.removeVip(address));
        return;
      }
      case 'event': {
        log.log('info', 'ike', formatEvent(a.event));
        const e = { ...a.event, time: new Date().toISOString() } as IkeEvent;
        if (e.kind === 'ike-up' && o.config.host.saveKeys) saveKeys(o.config.host.saveKeys, e.ikeId);
        if (e.kind === 'ike-down' && e.reason === 'deleted by peer' && !shuttingDown) closeAction(e.conn, 'close');
        if (e.kind === 'ike-down' && e.reason.startsWith('DPD') && !shuttingDown) closeAction(e.conn, 'dpd');
        for (const m of monitors) m(e);
        return;
      }
      case 'initiate-result': {
        const w = upWaiters.get(a.requestId);
        upWaiters.delete(a.requestId);
        w?.(a.ok, a.reason);
        return;
      }
    }
  }

  /** IKEv1 actions: GETSPI answers go back to the IKEv1 engine; the rest as IKEv2's. */
  function act1(a: Ikev1Action): void {
    if (a.kind !== 'get-spi') {
      act(a);
      return;
    }
    const { token } = a;
    o.kernel
      .getSpi(a.src, a.dst, a.reqid)
      .then(
        (spi) => ikev1.spiAllocated(token, spi),
        (e: unknown) => {
          log.log('warn', 'ike', `GETSPI failed: ${e instanceof Error ? e.message : String(e)}`);
          ikev1.spiAllocated(token, undefined);
        },
      )
      .finally(run);
  }

  const peerOf = (plan: ChildSaPlan): Uint8Array => plan.outbound.dst;

  /**
   * close_action when the peer deleted the IKE SA, dpd_action when it was found dead:
   * start/restart connects again, trap re-arms the trap policy, none/clear do nothing.
   */
  function closeAction(connName: string, why: 'close' | 'dpd'): void {
    const c = engine.config.connections.find((x) => x.name === connName);
    for (const ch of c?.children ?? []) {
      const action = why === 'close' ? ch.closeAction : ch.dpdAction === 'restart' ? 'start' : ch.dpdAction;
      if (action === 'start') {
        void up(connName, ch.name).then((r) =>
          log.log(r.ok ? 'info' : 'warn', 'ike', `${why}_action ${connName}/${ch.name}: ${r.reason}`),
        );
      } else if (action === 'trap' && c) {
        kernelDo(`${why}_action trap ${connName}/${ch.name}`, () =>
          o.kernel.installTrap(c, ch, engine.reqidFor(c.name, ch.name)),
        );
      }
    }
  }

  /** Wireshark's ikev2_decryption_table, like strongSwan's save-keys plugin (esprit.save_keys). */
  function saveKeys(dir: string, ikeId: number): void {
    const sa = engine.list().find((x) => x.id === ikeId);
    const row = sa ? ikev2DecryptionRow(sa) : undefined;
    if (!row) return;
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      appendFileSync(join(dir, 'ikev2_decryption_table'), `${row}\n`, { mode: 0o600 });
    } catch (err) {
      log.log('warn', 'ike', `save_keys: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  async function localFor(remote: string, listenerAddr: string): Promise<string> {
    if (!/^(0\.0\.0\.0|::)$/.test(listenerAddr)) return listenerAddr;
    const cached = sourceCache.get(remote);
    if (cached) return cached;
    const s = (await routeSource(remote)) ?? listenerAddr;
    sourceCache.set(remote, s);
    return s;
  }

  // updown scripts (daemon/updown.ts): the first CHILD SA of a (reqid, selectors) runs `up`,
  // the last `down`; scripts run one after another, in event order.
  const updowns = new UpdownTracker();
  const updownSas = new Map<number, UpdownSa>();
  let scripts: Promise<void> = Promise.resolve();
  function updownScript(plan: ChildSaPlan): string | undefined {
    return engine.config.connections.find((c) => c.name === plan.conn)?.children.find((ch) => ch.name === plan.child)
      ?.updown;
  }
  function updown(plan: ChildSaPlan, sa: UpdownSa | undefined, up: boolean): void {
    const script = updownScript(plan);
    const info = up ? sa : updownSas.get(plan.inbound.spi);
    if (up && info) updownSas.set(plan.inbound.spi, info);
    if (!up) updownSas.delete(plan.inbound.spi);
    if (!script || !info) return;
    const child = { child: plan.child, reqid: plan.reqid, localTs: plan.localTs, remoteTs: plan.remoteTs };
    if (!(up ? updowns.up(child, info) : updowns.down(child, info))) return;
    for (const my of plan.localTs) {
      for (const other of plan.remoteTs) {
        const env = updownEnv(info, child, up, my, other);
        scripts = scripts.then(async () => {
          const r = await runShell(script, env);
          for (const l of r.output.split('\n').filter((x) => x.length > 0)) log.log('info', 'ike', `updown: ${l}`);
          if (r.code !== 0)
            log.log('warn', 'ike', `updown ${env.PLUTO_VERB} ${plan.child}: ${script} exited ${r.code}`);
        });
      }
    }
  }

  channel.onFrame((f) => {
    // The channel reports the listener's address (0.0.0.0 for a wildcard): NAT detection
    // needs ours towards the peer (see io/route-source.ts).
    void localFor(f.remote.address, f.local.address).then((addr) => {
      const local = toEndpoint({ address: addr, port: f.local.port });
      // The major version in the header's octet 17 (RFC 2408 §3.1: 1; RFC 7296 §3.1: 2).
      if (isakmpMajorVersion(f.ike) === 1) ikev1.receive(local, toEndpoint(f.remote), f.ike);
      else engine.receive(local, toEndpoint(f.remote), f.ike);
      run();
    });
  });
  channel.onClose(() => log.log('error', 'ike', 'IKE channel to ipsecd closed'));
  // MOBIKE (RFC 4555 §3.5): address and route changes may move our IKE SAs.
  const roaming = startRoaming({ engine, logger: log, run, invalidate: () => sourceCache.clear() });
  // RFC 7296 §2.4: inbound ESP counts as a sign of life for dpd_delay.
  const espLiveness = startEspLiveness({ engine, kernel: o.kernel, clock: o.clock, logger: log, run });

  o.kernel.onEvent((e) => {
    if (e.kind === 'new-mapping') {
      engine.espMappingChanged(e.spi, { address: e.newAddr, port: e.newPort });
      ikev1.espMappingChanged(e.spi, { address: e.newAddr, port: e.newPort });
      run();
    } else if (e.kind === 'expire') {
      engine.childExpired(e.spi, e.hard);
      ikev1.childExpired(e.spi, e.hard);
      run();
    } else if (e.kind === 'acquire') {
      const conn = o.config.connections.find((c) =>
        c.children.some((ch) => engine.reqidFor(c.name, ch.name) === e.reqid),
      );
      const child = conn?.children.find((ch) => engine.reqidFor(conn.name, ch.name) === e.reqid);
      if (conn && child) void up(conn.name, child.name);
    }
  });

  async function up(conn: string, child?: string): Promise<{ ok: boolean; reason: string }> {
    const c = engine.config.connections.find((x) => x.name === conn);
    const remoteText = c?.remoteAddrs.find((r) => /^[0-9a-fA-F.:]+$/.test(r));
    if (!c || !remoteText) {
      return {
        ok: false,
        reason: c ? `connection '${conn}' has no remote address to initiate to` : `no connection named '${conn}'`,
      };
    }
    const localText = c.localAddrs.find((l) => /^[0-9a-fA-F.:]+$/.test(l)) ?? (await routeSource(remoteText));
    if (!localText) return { ok: false, reason: `no route to ${remoteText}` };
    const id = nextUp++;
    const done = new Promise<{ ok: boolean; reason: string }>((resolve) =>
      upWaiters.set(id, (ok, reason) => resolve({ ok, reason })),
    );
    if (c.version === 1) ikev1.initiate(conn, parseIp(localText).bytes, parseIp(remoteText).bytes, id, child);
    else engine.initiate(conn, parseIp(localText).bytes, parseIp(remoteText).bytes, child, id);
    run();
    return done;
  }

  const control = await startIkedControl({
    path: o.controlSocket,
    logger: log,
    up,
    down: (conn) => {
      const n = engine.terminate(conn) + ikev1.terminate(conn);
      run();
      return n;
    },
    listSas: () => [...engine.list().map((sa) => saReport(sa)), ...ikev1.list().map(ikev1SaReport)],
    listConns: () => engine.config.connections.map((c) => connReport(c, engine.config)),
    reload: async () => {
      const r = o.reloadConfig();
      if (!r.config) return { ok: false, errors: r.errors };
      const fresh = await resolveConfigHosts(r.config, log);
      engine.credentials = loadCredentials(fresh, log);
      const dropped = engine.reload(fresh);
      ikev1.reload(fresh, engine.credentials);
      if (dropped.length > 0)
        log.log('info', 'cfg', `reload: deleting IKE SAs of changed connections: ${dropped.join(', ')}`);
      run();
      return { ok: true, errors: [] };
    },
    monitor: (cb) => {
      monitors.add(cb);
      return () => monitors.delete(cb);
    },
  });

  // start_action = start: connect now; trap: install the trap policies (ACQUIRE starts it).
  await o.kernel.flushOwn();
  for (const c of o.config.connections) {
    for (const ch of c.children) {
      if (ch.startAction.includes('trap')) {
        kernelDo(`trap policy ${c.name}/${ch.name}`, async () => {
          await o.kernel.installTrap(c, ch, engine.reqidFor(c.name, ch.name));
          // As strongSwan's trap policies: route the remote selectors into the TUN now, so the
          // first packet reaches ipsecd, matches the policy and raises the ACQUIRE.
          const remote = c.remoteAddrs.map((a) => tryParseIp(a)).find((a) => a !== undefined);
          if (remote) await routes.addTrap(`${c.name}/${ch.name}`, parseTsList(ch.remoteTs, [remote]), remote.bytes);
        });
      }
      if (ch.startAction.includes('start')) {
        void up(c.name, ch.name).then((r) =>
          log.log(r.ok ? 'info' : 'warn', 'ike', `start_action ${c.name}/${ch.name}: ${r.reason}`),
        );
      }
    }
  }

  return {
    engine,
    ikev1,
    control,
    async shutdown() {
      shuttingDown = true;
      if (timer) clearTimeout(timer);
      roaming.close();
      espLiveness.close();
      engine.shutdown();
      ikev1.terminate(undefined, 'shutdown');
      for (const a of engine.takeActions()) act(a);
      for (const a of ikev1.takeActions()) act1(a);
      await sequencer.idle();
      await o.kernel.flushOwn();
      await routes.clear();
      await control.close();
      channel.close();
      o.kernel.close();
    },
  };
}

/** Certificates (certs, cacerts, x509ca/, authorities) and private keys of a config. */
export function loadCredentials(config: EspritConfig, log: Logger): IkeCredentials {
  const certs = new Map<string, Cert>();
  const cas: Cert[] = [];
  const load = (path: string): Cert | undefined => {
    const known = certs.get(path);
    if (known) return known;
    try {
      const c = parseCertificate(new Uint8Array(readFileSync(path)));
      certs.set(path, c);
      return c;
    } catch (e) {
      log.log('warn', 'cfg', `${path}: ${e instanceof Error ? e.message : String(e)}`);
      return undefined;
    }
  };
  for (const c of config.connections) {
    for (const r of [...c.local, ...c.remote]) {
      for (const p of r.certs) load(p);
      for (const p of r.cacerts) {
        const ca = load(p);
        if (ca && !cas.includes(ca)) cas.push(ca);
      }
    }
  }
  for (const p of [...config.caFiles, ...config.authorities.flatMap((a) => (a.cacert ? [a.cacert] : []))]) {
    const ca = load(p);
    if (ca && !cas.includes(ca)) cas.push(ca);
  }
  const keys: PrivateKey[] = [];
  for (const p of config.secrets.privateKeys) {
    try {
      keys.push(loadPrivateKey(new Uint8Array(readFileSync(p))));
    } catch (e) {
      log.log('warn', 'cfg', `${p}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const crls: Crl[] = [];
  for (const p of config.crlFiles) {
    try {
      crls.push(parseCrl(new Uint8Array(readFileSync(p))));
    } catch (e) {
      log.log('warn', 'cfg', `${p}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return { cas, certs, keys, crls };
}

function saReport(sa: IkeSa): IkeSaReport {
  const hex = (n: bigint): string => n.toString(16).padStart(16, '0');
  const spi = (n: number): string => (n >>> 0).toString(16).padStart(8, '0');
  return {
    id: sa.id,
    conn: sa.name,
    state: sa.lifecycle.state,
    initiator: sa.initiator,
    spiI: hex(sa.spiI),
    spiR: hex(sa.spiR),
    local: fromEndpoint(sa.local),
    remote: fromEndpoint(sa.remote),
    localId: sa.localId ? formatIdentity(sa.localId) : '',
    remoteId: sa.remoteId ? formatIdentity(sa.remoteId) : '',
    ...(sa.remoteEapId !== undefined ? { remoteEapId: sa.remoteEapId } : {}),
    localBehindNat: sa.localBehindNat,
    remoteBehindNat: sa.remoteBehindNat,
    natFaked: sa.natFaked,
    encap: sa.natDetected || sa.natFaked,
    algorithms: sa.proposal ? algorithmsText(sa.proposal) : '',
    vipsLocal: sa.vipsLocal.map(formatIp),
    vipsRemote: sa.vipsRemote.map((v) => v.address),
    children: sa.children.map((c) => ({
      name: c.name,
      reqid: c.plan.reqid,
      mode: c.plan.mode,
      spiIn: spi(c.spiIn),
      spiOut: spi(c.spiOut),
      encap: c.plan.encap !== undefined,
      ...(c.plan.encap ? { encapPorts: { local: c.plan.encap.localPort, remote: c.plan.encap.remotePort } } : {}),
      algorithms: algorithmsText(c.proposal),
      localTs: c.localTs.map(tsToString),
      remoteTs: c.remoteTs.map(tsToString),
      installedAt: c.installedAt,
    })),
  };
}

export type { ChildSaReport, IkeSaReport } from './ike-sa-report.js';

export interface ConnReport {
  name: string;
  localAddrs: string[];
  remoteAddrs: string[];
  version: number;
  localAuth: string;
  remoteAuth: string;
  localId: string;
  remoteId: string;
  children: { name: string; mode: string; startAction: string; localTs: string[]; remoteTs: string[] }[];
}

function connReport(c: EspritConfig['connections'][number], _cfg: EspritConfig): ConnReport {
  return {
    name: c.name,
    localAddrs: c.localAddrs,
    remoteAddrs: c.remoteAddrs,
    version: c.version,
    localAuth: c.local[0]?.auth ?? 'pubkey',
    remoteAuth: c.remote[0]?.auth ?? 'pubkey',
    localId: c.local[0]?.id ?? '%any',
    remoteId: c.remote[0]?.id ?? '%any',
    children: c.children.map((ch) => ({
      name: ch.name,
      mode: ch.mode,
      startAction: ch.startAction,
      localTs: ch.localTs,
      remoteTs: ch.remoteTs,
    })),
  };
}
