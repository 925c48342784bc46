/**
 * `esprit ipsecd`: the IPsec daemon. For now the key engine alone (--no-dataplane): PF_KEY
 * sockets for IKE daemons and `esprit setkey`, plus the control socket for `esprit status`.
 *
 *   esprit ipsecd [--pfkey-socket PATH [--pfkey-dialect linux|kame]]... [--no-dataplane]
 *                 [--control-socket PATH] [--log-level debug|info|warn|error]
 *
 * A --pfkey-dialect applies to the --pfkey-socket given before it (or to the default socket
 * when none was given yet). On Windows, paths are named pipes (\\.\pipe\esprit-pfkey).
 */
import { NodeRng } from '../../crypto/random.js';
import { startIpsecd } from '../../daemon/ipsecd.js';
import type { PfkeySocketSpec } from '../../daemon/pfkey-server.js';
import { createStderrLogger, isLogLevel } from '../../daemon/stderr-logger.js';
import { systemClock } from '../../daemon/system-clock.js';
import { KeyEngine } from '../../pfkey/key-engine.js';
import type { Level } from '../../util/logger.js';
import type { PfkeyDialect } from '../../wire/pfkey/index.js';
import { DEFAULT_PFKEY_SOCKET } from './setkey.js';
import { DEFAULT_CONTROL_SOCKET } from './status.js';

const USAGE = `usage: esprit ipsecd [--pfkey-socket PATH [--pfkey-dialect linux|kame]]... [--no-dataplane]
                     [--control-socket PATH] [--log-level debug|info|warn|error]
  --pfkey-socket PATH     serve PF_KEY here (repeatable; default ${DEFAULT_PFKEY_SOCKET})
  --pfkey-dialect D       dialect of the socket given before it: linux (default) or kame
  --control-socket PATH   control socket for \`esprit status\` (default ${DEFAULT_CONTROL_SOCKET})
  --no-dataplane          run the key engine only (currently the only mode)
  --log-level L           minimum level logged to stderr (default info)`;

/** Data-plane options that a later version adds; refused clearly for now. */
const NOT_YET = new Set(['--tun', '--listen', '--udp-port', '--natt-port', '--mtu']);

interface Options {
  sockets: { path: string; dialect: PfkeyDialect }[];
  control: string;
  level: Level;
}

export function parseIpsecdArgs(argv: readonly string[]): Options | { error: string; code: number } {
  const sockets: { path: string; dialect: PfkeyDialect }[] = [];
  let defaultDialect: PfkeyDialect = 'linux';
  let control = DEFAULT_CONTROL_SOCKET;
  let level: Level = 'info';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const flag = a.includes('=') ? a.slice(0, a.indexOf('=')) : a;
    if (NOT_YET.has(flag))
      return { error: `${flag}: the data plane is not implemented yet (run with --no-dataplane)`, code: 2 };
    const value = (): string | undefined => argv[++i];
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
      case '--log-level': {
        const v = value();
        if (!v || !isLogLevel(v)) return { error: '--log-level must be debug, info, warn or error', code: 2 };
        level = v;
        break;
      }
      case '--no-dataplane':
        break;
      default:
        return { error: `unknown option ${JSON.stringify(a)}`, code: 2 };
    }
  }
  if (sockets.length === 0) sockets.push({ path: DEFAULT_PFKEY_SOCKET, dialect: defaultDialect });
  const paths = [...sockets.map((s) => s.path), control];
  if (new Set(paths).size !== paths.length) return { error: 'the same socket path is given twice', code: 2 };
  return { sockets, control, level };
}

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  const o = parseIpsecdArgs(argv);
  if ('error' in o) {
    console.error(`esprit ipsecd: ${o.error}\n${USAGE}`);
    return o.code;
  }
  const logger = createStderrLogger(o.level);
  const engine = new KeyEngine({ clock: systemClock, rng: new NodeRng(), logger });
  const pfkeySockets: PfkeySocketSpec[] = o.sockets.map((s) => ({ path: s.path, dialect: s.dialect }));
  let daemon: Awaited<ReturnType<typeof startIpsecd>>;
  try {
    daemon = await startIpsecd({ engine, clock: systemClock, pfkeySockets, controlSocket: o.control, logger });
  } catch (e) {
    console.error(`esprit ipsecd: ${(e as Error).message}`);
    return 1;
  }
  logger.log('info', 'daemon', `esprit ipsecd running (key engine only, pid ${process.pid})`);
  const signal = await new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  logger.log('info', 'daemon', `${signal}: closing sockets`);
  await daemon.close();
  return 0;
}
