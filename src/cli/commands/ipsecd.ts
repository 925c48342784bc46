/**
 * `esprit ipsecd`: the IPsec daemon. With --tun, a whole IPsec host: the key engine on PF_KEY
 * sockets (keys only arrive that way: IKE daemons, `esprit setkey`), the data plane on a TUN
 * device, UDP listeners (IKE, NAT-T, udp-encaps-00, Cisco UDP) and raw ESP sockets, the IKE
 * channel for IKE daemons and the control socket for `esprit status`. Without --tun (or with
 * --no-dataplane): the key engine and the control socket only.
 *
 * A --pfkey-dialect applies to the --pfkey-socket given before it (or to the default socket
 * when none was given yet). On Windows, paths are named pipes (\\.\pipe\esprit-pfkey).
 * Once every socket and the TUN are up, `ipsecd: ready` is written to stderr.
 */

import { type EvpBackend, LIBCRYPTO } from '../../crypto/evp-backend.js';
import { type NativePreference, nativeAddonFor } from '../../crypto/native-addon.js';
import { NodeRng } from '../../crypto/random.js';
import type { BackendPreference } from '../../crypto/select.js';
import {
  backendPreferenceFromEnv,
  isBackendPreference,
  nativePreferenceFromEnv,
  selectBackend,
} from '../../crypto/select.js';
import { DEFAULT_TUN_MTU, UDP_IO_KINDS, type UdpIo } from '../../daemon/dataplane-io.js';
import { startIpsecd } from '../../daemon/ipsecd.js';
import { defaultListeners, parseListenSpec } from '../../daemon/listen-spec.js';
import type { PfkeySocketSpec } from '../../daemon/pfkey-server.js';
import { createStderrLogger, isLogLevel } from '../../daemon/stderr-logger.js';
import { systemClock } from '../../daemon/system-clock.js';
import type { SadChange } from '../../dataplane/key-hooks.js';
import type { ListenerSpec } from '../../dataplane/listener.js';
import { KeyEngine } from '../../pfkey/key-engine.js';
import type { Level } from '../../util/logger.js';
import type { PfkeyDialect } from '../../wire/pfkey/index.js';
import { runDirPaths, takeRunDir } from '../run-dir.js';
import { untilStopped } from '../stop-signal.js';
import { DEFAULT_PFKEY_SOCKET } from './setkey.js';
import { DEFAULT_CONTROL_SOCKET } from './status.js';

export const DEFAULT_IKE_SOCKET = '/run/esprit/ike.sock';
export const DEFAULT_KEEPALIVE_SECONDS = 20;
/** The line the daemon writes to stderr once all sockets and the TUN are up. */
export const READY_LINE = 'ipsecd: ready';

/** The default of --dataplane-threads (1 or 2) when the flag is absent; ignored with --udp-io dgram. */
export const THREADS_ENV = 'ESPRIT_DATAPLANE_THREADS';

/** ESPRIT_DATAPLANE_THREADS: 1, 2, undefined when unset or empty, 'bad' otherwise. */
export function threadsFromEnv(env: Readonly<Record<string, string | undefined>>): 1 | 2 | undefined | 'bad' {
  const t = env[THREADS_ENV];
  if (t === undefined || t === '') return undefined;
  return t === '1' ? 1 : t === '2' ? 2 : 'bad';
}

const USAGE = `usage: esprit ipsecd --tun NAME [--tun-address CIDR]... [--route CIDR]...
                     [--listen ADDR:PORT[/ROLE]]... [--no-raw-esp] [--mtu N]
                     [--pfkey-socket PATH [--pfkey-dialect linux|kame]]...
                     [--control-socket PATH] [--ike-socket PATH]
                     [--keepalive-interval S] [--crypto auto|evp|node] [--udp-io mmsg|dgram]
                     [--dataplane-threads 1|2]
                     [--log-level L] [--run-dir DIR]
       esprit ipsecd --no-dataplane [--pfkey-socket PATH ...] [--control-socket PATH] [--log-level L]
  --tun NAME              run the data plane on TUN device NAME (a stale one is removed first)
  --tun-address CIDR      address for the TUN, IPv4 or IPv6 (repeatable)
  --route CIDR            route CIDR into the TUN (repeatable; traffic to protect)
  --mtu N                 TUN MTU (default ${DEFAULT_TUN_MTU}: room for ESP + UDP + IPv6 overhead on 1500)
  --listen ADDR:PORT[/ROLE]  UDP listener (repeatable; IPv6 as [::]:500). ROLE: ike, natt,
                          ike-encaps-00, cisco-udp; default ike-encaps-00 on port 500, natt
                          elsewhere. Default: 0.0.0.0:500 0.0.0.0:4500 [::]:500 [::]:4500
  --no-raw-esp            no raw ESP (IP protocol 50) sockets: UDP-encapsulated ESP only
  --keepalive-interval S  NAT keepalive idle interval in seconds (default ${DEFAULT_KEEPALIVE_SECONDS}, RFC 3948 §4)
  --crypto B              auto (EVP via libcrypto when it loads, else node:crypto), evp, node
                          (default: $ESPRIT_CRYPTO, else auto)
  --udp-io IO             UDP sockets: mmsg (through the FFI, recvmmsg/sendmmsg batches; default)
                          or dgram (node:dgram)
  --dataplane-threads N   1 (default) or 2: a second thread reads the TUN and seals while this
                          one decrypts, runs the key engine and IKE (mmsg only; default from
                          ${THREADS_ENV})
  --pfkey-socket PATH     serve PF_KEY here (repeatable; default ${DEFAULT_PFKEY_SOCKET})
  --pfkey-dialect D       dialect of the socket given before it: linux (default) or kame
  --control-socket PATH   control socket for \`esprit status\` (default ${DEFAULT_CONTROL_SOCKET})
  --ike-socket PATH       IKE channel for IKE daemons (default ${DEFAULT_IKE_SOCKET}; docs/ike-channel.md)
  --run-dir DIR           put the PF_KEY, control and IKE sockets under DIR (pfkey.sock, control.sock,
                          ike.sock; default /run/esprit); the socket options above override single paths
  --no-dataplane          run the key engine only (the default without --tun)
  --log-level L           minimum level logged to stderr: debug, info (default), warn, error
Serves until SIGTERM/SIGINT; writes "${READY_LINE}" to stderr once every socket and the TUN are up.`;

export interface IpsecdArgs {
  sockets: { path: string; dialect: PfkeyDialect }[];
  control: string;
  level: Level;
  dataplane?: {
    tun: string;
    tunAddresses: string[];
    routes: string[];
    listeners: ListenerSpec[];
    rawEsp: boolean;
    mtu: number;
    ikeSocket: string;
    keepaliveSeconds: number;
    crypto: BackendPreference;
    /** ESPRIT_NATIVE: the EVP backend's native AEAD helper (off forces the koffi-only path) */
    native: NativePreference;
    udpIo: UdpIo;
    /** 2: seal in a worker thread (docs/dataplane.md §10.9) */
    threads: 1 | 2;
  };
}

const DATAPLANE_FLAGS = new Set([
  '--tun-address',
  '--route',
  '--listen',
  '--no-raw-esp',
  '--mtu',
  '--ike-socket',
  '--keepalive-interval',
  '--crypto',
  '--udp-io',
  '--dataplane-threads',
]);

export function parseIpsecdArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
): IpsecdArgs | { error: string; code: number } {
  const rd = takeRunDir(argv);
  if ('error' in rd) return { error: rd.error, code: 2 };
  const under = rd.dir !== undefined ? runDirPaths(rd.dir) : undefined;
  argv = rd.rest;
  const sockets: { path: string; dialect: PfkeyDialect }[] = [];
  let defaultDialect: PfkeyDialect = 'linux';
  let control = under?.control ?? DEFAULT_CONTROL_SOCKET;
  let level: Level = 'info';
  let tun: string | undefined;
  let noDataplane = false;
  const tunAddresses: string[] = [];
  const routes: string[] = [];
  const listeners: ListenerSpec[] = [];
  let rawEsp = true;
  let mtu = DEFAULT_TUN_MTU;
  let ikeSocket = under?.ike ?? DEFAULT_IKE_SOCKET;
  let keepaliveSeconds = DEFAULT_KEEPALIVE_SECONDS;
  let crypto: BackendPreference | undefined;
  let udpIo: UdpIo = 'mmsg';
  let threads: 1 | 2 | undefined;
  const dpFlags: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const value = (): string | undefined => argv[++i];
    if (DATAPLANE_FLAGS.has(a)) dpFlags.push(a);
    switch (a) {
      case '--pfkey-socket': {
        const v = value();
        if (!v) return { error: '--pfkey-socket needs a path', code: 2 };
        sockets.push({ path: v, dialect: 'linux' });
        break;
      }
      case '--pfkey-dialect': {
        const v = value();
        if (v !== 'linux' && v !== 'kame') return { error: '--pfkey-dialect must be linux or kame', code: 2 };
        const last = sockets[sockets.length - 1];
        if (last) last.dialect = v;
        else defaultDialect = v;
        break;
      }
      case '--control-socket': {
        const v = value();
        if (!v) return { error: '--control-socket needs a path', code: 2 };
        control = v;
        break;
      }
      case '--ike-socket': {
        const v = value();
        if (!v) return { error: '--ike-socket needs a path', code: 2 };
        ikeSocket = v;
        break;
      }
      case '--log-level': {
        const v = value();
        if (!v || !isLogLevel(v)) return { error: '--log-level must be debug, info, warn or error', code: 2 };
        level = v;
        break;
      }
      case '--tun': {
        const v = value();
        if (!v || v.length > 15 || !/^[\x21-\x7e]+$/.test(v) || v.includes('/'))
          return { error: '--tun needs an interface name (1-15 printable characters, no /)', code: 2 };
        tun = v;
        break;
      }
      case '--tun-address':
      case '--route': {
        const v = value();
        if (!v || !/^[0-9a-fA-F.:]+\/\d{1,3}$/.test(v)) return { error: `${a} needs a CIDR (ADDR/LEN)`, code: 2 };
        (a === '--route' ? routes : tunAddresses).push(v);
        break;
      }
      case '--listen': {
        const v = value();
        const l = v ? parseListenSpec(v) : { error: 'missing value' };
        if ('error' in l) return { error: `--listen ${v ?? ''}: ${l.error}`, code: 2 };
        listeners.push(l);
        break;
      }
      case '--no-raw-esp':
        rawEsp = false;
        break;
      case '--mtu': {
        const n = Number(value());
        if (!Number.isInteger(n) || n < 576 || n > 65535)
          return { error: '--mtu must be an integer 576..65535', code: 2 };
        mtu = n;
        break;
      }
      case '--keepalive-interval': {
        const n = Number(value());
        if (!Number.isFinite(n) || n <= 0 || n > 86400)
          return { error: '--keepalive-interval must be seconds in (0, 86400]', code: 2 };
        keepaliveSeconds = n;
        break;
      }
      case '--crypto': {
        const v = value();
        if (!v || !isBackendPreference(v)) return { error: '--crypto must be auto, evp or node', code: 2 };
        crypto = v;
        break;
      }
      case '--udp-io': {
        const v = value();
        const kind = UDP_IO_KINDS.find((k) => k === v);
        if (!kind) return { error: `--udp-io must be ${UDP_IO_KINDS.join(' or ')}`, code: 2 };
        udpIo = kind;
        break;
      }
      case '--dataplane-threads': {
        const v = value();
        if (v !== '1' && v !== '2') return { error: '--dataplane-threads must be 1 or 2', code: 2 };
        threads = v === '2' ? 2 : 1;
        break;
      }
      case '--no-dataplane':
        noDataplane = true;
        break;
      default:
        return { error: `unknown option ${JSON.stringify(a)}`, code: 2 };
    }
  }
  if (sockets.length === 0) sockets.push({ path: under?.pfkey ?? DEFAULT_PFKEY_SOCKET, dialect: defaultDialect });
  if (noDataplane && tun !== undefined) return { error: '--tun and --no-dataplane exclude each other', code: 2 };
  if (tun === undefined && dpFlags.length > 0)
    return { error: `${dpFlags[0]} needs --tun (the data plane runs on a TUN device)`, code: 2 };
  const paths = [...sockets.map((s) => s.path), control, ...(tun !== undefined ? [ikeSocket] : [])];
  if (new Set(paths).size !== paths.length) return { error: 'the same socket path is given twice', code: 2 };
  if (tun === undefined) return { sockets, control, level };
  let native: NativePreference;
  try {
    crypto ??= backendPreferenceFromEnv(env);
    native = nativePreferenceFromEnv(env);
  } catch (e) {
    return { error: (e as Error).message, code: 2 };
  }
  if (threads === 2 && udpIo !== 'mmsg') return { error: '--dataplane-threads 2 needs --udp-io mmsg', code: 2 };
  if (threads === undefined) {
    const t = threadsFromEnv(env);
    if (t === 'bad') return { error: `${THREADS_ENV} must be 1 or 2`, code: 2 };
    threads = t === 2 && udpIo === 'mmsg' ? 2 : 1;
  }
  const ls = listeners.length > 0 ? listeners : defaultListeners();
  const keys = ls.map((l) => `${l.address}|${l.port}`);
  if (new Set(keys).size !== keys.length)
    return { error: 'the same --listen address and port is given twice', code: 2 };
  return {
    sockets,
    control,
    level,
    dataplane: {
      tun,
      tunAddresses,
      routes,
      listeners: ls,
      rawEsp,
      mtu,
      ikeSocket,
      keepaliveSeconds,
      crypto,
      native,
      udpIo,
      threads,
    },
  };
}

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  const o = parseIpsecdArgs(argv, process.env);
  if ('error' in o) {
    console.error(`esprit ipsecd: ${o.error}\n${USAGE}`);
    return o.code;
  }
  const logger = createStderrLogger(o.level);
  let onChange: ((c: SadChange) => void) | undefined;
  const engine = new KeyEngine({
    clock: systemClock,
    rng: new NodeRng(),
    logger,
    onChange: (c) => onChange?.(c),
  });
  const pfkeySockets: PfkeySocketSpec[] = o.sockets.map((s) => ({ path: s.path, dialect: s.dialect }));
  const d = o.dataplane;
  let daemon: Awaited<ReturnType<typeof startIpsecd>>;
  // a signal, or a fatal data-plane error (the sealing thread died): close down either way
  const { stopped, fatal } = untilStopped();
  try {
    const backend = d ? selectBackend(d.crypto, LIBCRYPTO, d.native) : undefined;
    // the same helper serves the TUN offloads' checksums, whatever the crypto backend
    const native = d ? nativeAddonFor(d.native) : undefined;
    daemon = await startIpsecd({
      engine,
      clock: systemClock,
      pfkeySockets,
      controlSocket: o.control,
      logger,
      ...(d && backend
        ? {
            dataplane: {
              engine,
              backend,
              rng: new NodeRng(),
              tun: { name: d.tun, mtu: d.mtu, addresses: d.tunAddresses, routes: d.routes },
              listeners: d.listeners,
              rawEsp: d.rawEsp,
              udpIo: d.udpIo,
              ...(native ? { native } : {}),
              ...(d.threads === 2 ? { sealerThread: { crypto: d.crypto, native: d.native }, onFatal: fatal } : {}),
              keepaliveIntervalMs: d.keepaliveSeconds * 1000,
              ikeSocket: d.ikeSocket,
              bindOnChange: (f) => {
                onChange = f;
              },
            },
          }
        : {}),
    });
    if (d && backend) {
      const helper = (backend as Partial<EvpBackend>).nativeHelper;
      logger.log('info', 'daemon', `crypto backend ${backend.name}${helper ? ' with the native AEAD helper' : ''}`);
      logger.log('info', 'daemon', `TUN offload checksums ${native ? `native (${native.path})` : 'in JavaScript'}`);
    }
  } catch (e) {
    console.error(`esprit ipsecd: ${(e as Error).message}`);
    return 1;
  }
  const mode = d ? `data plane on ${d.tun}` : 'key engine only';
  logger.log('info', 'daemon', `esprit ipsecd running (${mode}, pid ${process.pid})`);
  process.stderr.write(`${READY_LINE}\n`);
  const signal = await stopped;
  logger.log('info', 'daemon', `${signal}: closing sockets${d ? ` and ${d.tun}` : ''}`);
  await daemon.close();
  return signal === 'fatal' ? 1 : 0;
}
