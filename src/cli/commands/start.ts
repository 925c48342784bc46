/**
 * `esprit start --config FILE [--run-dir DIR]`: one esprit host from one swanctl.conf: the
 * data plane (ipsecd: key engine, TUN, UDP listeners, IKE channel) and the IKEv2 daemon,
 * which still talks to the data plane through PF_KEY and the IKE channel sockets under DIR.
 *
 * `esprit iked --config FILE [--run-dir DIR]`: the IKEv2 daemon alone, against an
 * `esprit ipsecd --tun NAME --run-dir DIR` started separately.
 */

import { configWarnings } from '../../config/swanctl/config-warnings.js';
import { LIBCRYPTO } from '../../crypto/evp-backend.js';
import { type NativePreference, nativeAddonFor } from '../../crypto/native-addon.js';
import { NodeRng } from '../../crypto/random.js';
import {
  type BackendPreference,
  backendPreferenceFromEnv,
  nativePreferenceFromEnv,
  selectBackend,
} from '../../crypto/select.js';
import { startIked } from '../../daemon/iked.js';
import { connectIkedKernel } from '../../daemon/iked-kernel.js';
import { startIpsecd } from '../../daemon/ipsecd.js';
import { parseListenSpec } from '../../daemon/listen-spec.js';
import { createSubsystemLogger, isLogLevel } from '../../daemon/stderr-logger.js';
import { systemClock } from '../../daemon/system-clock.js';
import type { SadChange } from '../../dataplane/key-hooks.js';
import type { ListenerSpec } from '../../dataplane/listener.js';
import { KeyEngine } from '../../pfkey/key-engine.js';
import type { Level } from '../../util/logger.js';
import { loadConfigFile } from '../load-config.js';
import { DEFAULT_RUN_DIR, runDirPaths, takeRunDir } from '../run-dir.js';
import { untilStopped } from '../stop-signal.js';
import { THREADS_ENV, threadsFromEnv } from './ipsecd.js';

export const READY_LINE = 'esprit: ready';

const USAGE_START = `usage: esprit start --config FILE [--run-dir DIR] [--log-level L]
  Runs one esprit host from a swanctl.conf-style FILE (docs/configuration.md): the data plane
  (TUN, UDP 500/4500, PF_KEY key engine) and the IKEv2 daemon. Sockets live under DIR
  (default ${DEFAULT_RUN_DIR}): pfkey.sock, ike.sock, control.sock (esprit status), iked.sock
  (esprit up/down/list-sas/list-conns/reload/monitor). Writes "${READY_LINE}" to stderr once it serves.`;

const USAGE_IKED = `usage: esprit iked --config FILE [--run-dir DIR] [--log-level L]
  Runs the IKEv2 daemon alone against an \`esprit ipsecd --tun NAME --run-dir DIR\` (the TUN
  name must equal the config's esprit.tun.name). Writes "${READY_LINE}" to stderr once it serves.`;

interface Args {
  config: string;
  runDir: string;
  level: Level;
  /** --log-level was given: it overrides the config's log section */
  levelGiven: boolean;
}

function parseArgs(argv: readonly string[]): Args | { error: string } {
  const rd = takeRunDir(argv);
  if ('error' in rd) return rd;
  let config: string | undefined;
  let level: Level = 'info';
  let levelGiven = false;
  for (let i = 0; i < rd.rest.length; i++) {
    const a = rd.rest[i];
    if (a === '--config') config = rd.rest[++i];
    else if (a === '--log-level') {
      const v = rd.rest[++i] ?? '';
      if (!isLogLevel(v)) return { error: '--log-level must be debug, info, warn or error' };
      level = v;
      levelGiven = true;
    } else return { error: `unknown option ${JSON.stringify(a)}` };
  }
  if (!config) return { error: '--config FILE is required' };
  return { config, runDir: rd.dir ?? DEFAULT_RUN_DIR, level, levelGiven };
}

export async function run(argv: string[], name = 'start'): Promise<number> {
  const usage = name === 'iked' ? USAGE_IKED : USAGE_START;
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(usage);
    return 0;
  }
  const a = parseArgs(argv);
  if ('error' in a) {
    console.error(`esprit ${name}: ${a.error}\n${usage}`);
    return 2;
  }
  const loaded = loadConfigFile(a.config);
  if (!loaded.config) {
    for (const e of loaded.errors) console.error(e);
    return 1;
  }
  const config = loaded.config;
  // --log-level is the floor; esprit { log { <subsystem> = level } } refines it per subsystem.
  const logger = createSubsystemLogger(a.level, a.levelGiven ? {} : config.host.logLevels);
  // Weak settings that still load (IKEv1 Aggressive Mode PSK: offline-crackable, as Libreswan
  // warns at startup too) go to the log, as `esprit config check` prints them.
  for (const w of configWarnings(config)) logger.log('warn', 'cfg', `${w.where}: ${w.message}`);
  const paths = runDirPaths(a.runDir);
  const ikedSocket = `${a.runDir}/iked.sock`;
  let ipsecd: Awaited<ReturnType<typeof startIpsecd>> | undefined;
  // a signal, or a fatal data-plane error (the sealing thread died): close down either way
  const { stopped, fatal } = untilStopped();
  if (name === 'start') {
    const listeners: ListenerSpec[] = [];
    for (const l of config.host.listen) {
      const s = parseListenSpec(l);
      if ('error' in s) {
        console.error(`esprit start: esprit.listen ${l}: ${s.error}`);
        return 1;
      }
      listeners.push(s);
    }
    // IKEv1 gateways answer Cisco's UDP port in Mode Config (cisco_udp_port, docs/ikev1.md):
    // ipsecd listens there with the cisco-udp role unless esprit.listen names the port already.
    // A Cisco UDP client (natt_mode = none with cisco_udp_port set) sends and receives ESP there.
    for (const c of config.connections) {
      const client = c.nattMode === 'none' && c.ciscoUdpPortSet === true;
      if (c.version !== 1 || (c.pools.length === 0 && !client) || c.ciscoUdpPort === 0) continue;
      if (listeners.some((l) => l.port === c.ciscoUdpPort)) continue;
      listeners.push({ address: '0.0.0.0', port: c.ciscoUdpPort, role: 'cisco-udp' });
    }
    // ESPRIT_CRYPTO / ESPRIT_NATIVE as for ipsecd (crypto/select.ts)
    let crypto: BackendPreference;
    let native: NativePreference;
    try {
      crypto = backendPreferenceFromEnv(process.env);
      native = nativePreferenceFromEnv(process.env);
    } catch (e) {
      console.error(`esprit start: ${(e as Error).message}`);
      return 2;
    }
    const helper = nativeAddonFor(native);
    const envThreads = threadsFromEnv(process.env);
    if (envThreads === 'bad') {
      console.error(`esprit start: ${THREADS_ENV} must be 1 or 2`);
      return 2;
    }
    const threads = config.host.dataplaneThreads ?? envThreads ?? 1;
    let onChange: ((c: SadChange) => void) | undefined;
    const engine = new KeyEngine({ clock: systemClock, rng: new NodeRng(), logger, onChange: (c) => onChange?.(c) });
    try {
      ipsecd = await startIpsecd({
        engine,
        clock: systemClock,
        pfkeySockets: [{ path: paths.pfkey, dialect: 'linux' }],
        controlSocket: paths.control,
        logger,
        dataplane: {
          engine,
          backend: selectBackend(crypto, LIBCRYPTO, native),
          rng: new NodeRng(),
          // the helper's checksums and event-loop readiness, as ipsecd (ESPRIT_NATIVE=off: the fallbacks)
          ...(helper ? { native: helper } : {}),
          ...(threads === 2 ? { sealerThread: { crypto, native }, onFatal: fatal } : {}),
          tun: { name: config.host.tunName, mtu: config.host.tunMtu, addresses: [], routes: [] },
          listeners,
          rawEsp: true,
          keepaliveIntervalMs: config.host.keepaliveInterval * 1000,
          ikeSocket: paths.ike,
          bindOnChange: (f) => {
            onChange = f;
          },
        },
      });
    } catch (e) {
      console.error(`esprit start: ${(e as Error).message}`);
      return 1;
    }
  }
  let iked: Awaited<ReturnType<typeof startIked>>;
  try {
    const kernel = await connectIkedKernel(paths.pfkey, logger);
    iked = await startIked({
      config,
      reloadConfig: () => loadConfigFile(a.config),
      ikeSocket: paths.ike,
      controlSocket: ikedSocket,
      kernel,
      clock: systemClock,
      logger,
      tunName: config.host.tunName,
    });
  } catch (e) {
    console.error(`esprit ${name}: ${(e as Error).message}`);
    await ipsecd?.close();
    return 1;
  }
  logger.log('info', 'daemon', `esprit ${name} running (config ${a.config}, run dir ${a.runDir}, pid ${process.pid})`);
  process.stderr.write(`${READY_LINE}\n`);
  const signal = await stopped;
  logger.log('info', 'daemon', `${signal}: deleting SAs and closing`);
  await iked.shutdown();
  // Let the Delete notifications leave before the listeners close.
  await new Promise((r) => setTimeout(r, 200));
  await ipsecd?.close();
  return signal === 'fatal' ? 1 : 0;
}
