/**
 * The `esprit { }` section of a swanctl.conf: host settings strongSwan keeps in
 * strongswan.conf (docs/configuration.md, "esprit { } host settings"), with their defaults.
 */
import { tryParseIp } from '../../util/ip-addr.js';
import type { SettingsKey, SettingsSection, SourcePos } from './settings-parser.js';
import type { HostSettings } from './swanctl-types.js';
import { parseInteger, parseList, parseTime } from './swanctl-values.js';

export type Setter<T> = (value: string, target: T, key: SettingsKey) => void;

/** The `--listen` syntax of `esprit ipsecd` (src/daemon/listen-spec.ts): ADDR:PORT[/ROLE], IPv6 in brackets. */
function checkListen(l: string): void {
  const m = /^(?:\[([^\]]+)\]|([^:/[\]]+)):(\d{1,5})(?:\/([a-z0-9-]+))?$/.exec(l);
  const ip = m ? tryParseIp(m[1] ?? m[2] ?? '') : undefined;
  if (!m || !ip || (m[1] !== undefined) !== (ip.family === 6))
    throw new Error(`'${l}' is not ADDR:PORT[/ROLE] (IPv6 as [ADDR]:PORT)`);
  const port = Number(m[3]);
  if (port < 1 || port > 65535) throw new Error(`'${l}': port ${port} not in 1..65535`);
  if (m[4] !== undefined && !['ike', 'natt', 'ike-encaps-00', 'cisco-udp'].includes(m[4]))
    throw new Error(`'${l}': unknown role ${m[4]} (ike, natt, ike-encaps-00, cisco-udp)`);
}

export function defaultHost(): HostSettings {
  return {
    tunName: 'esp0',
    tunMtu: 1400,
    listen: ['0.0.0.0:500', '0.0.0.0:4500', '[::]:500', '[::]:4500'],
    keepaliveInterval: 20,
    retransmitTimeout: 4,
    retransmitBase: 1.8,
    retransmitTries: 5,
    cookieThreshold: 10,
    halfOpenPerSource: 5,
    fragmentSize: 1280,
    fragmentSizeV4: 0,
    fragmentSizeV6: 0,
    maxPacket: 10000,
    logLevels: {},
  };
}

export type Walk = <T>(
  sec: SettingsSection,
  path: string,
  target: T,
  setters: Record<string, Setter<T>>,
  refused: readonly string[],
  sections?: (name: string, s: SettingsSection, p: string) => boolean,
  sectionNames?: readonly string[],
) => void;

export function hostSection(
  node: SettingsSection,
  h: HostSettings,
  walk: Walk,
  err: (pos: SourcePos, path: string, msg: string) => void,
): void {
  walk<HostSettings>(
    node,
    'esprit',
    h,
    {
      listen: (v, t) => {
        t.listen = parseList(v);
        for (const l of t.listen) checkListen(l);
      },
      keepalive_interval: (v, t) => {
        t.keepaliveInterval = parseTime(v);
      },
      dataplane_threads: (v, t) => {
        t.dataplaneThreads = parseInteger(v, 1, 2);
      },
      retransmit_timeout: (v, t) => {
        const n = Number(v.trim());
        if (!(n > 0 && n <= 3600)) throw new Error(`'${v}' is not seconds in (0, 3600]`);
        t.retransmitTimeout = n;
      },
      retransmit_base: (v, t) => {
        const n = Number(v.trim());
        if (!(n >= 1 && n <= 10)) throw new Error(`'${v}' is not in [1, 10]`);
        t.retransmitBase = n;
      },
      retransmit_tries: (v, t) => {
        t.retransmitTries = parseInteger(v, 0, 100);
      },
      cookie_threshold: (v, t) => {
        t.cookieThreshold = parseInteger(v, 0, 1_000_000);
      },
      half_open_per_source: (v, t) => {
        t.halfOpenPerSource = parseInteger(v, 1, 1_000_000);
      },
      // strongSwan's charon.fragment_size (1280), _v4/_v6 (0 = fragment_size), max_packet (10000).
      fragment_size: (v, t) => {
        t.fragmentSize = parseInteger(v, 0, 65535);
      },
      fragment_size_v4: (v, t) => {
        t.fragmentSizeV4 = parseInteger(v, 0, 65535);
      },
      fragment_size_v6: (v, t) => {
        t.fragmentSizeV6 = parseInteger(v, 0, 65535);
      },
      max_packet: (v, t) => {
        t.maxPacket = parseInteger(v, 1, 65535);
      },
      save_keys: (v, t) => {
        t.saveKeys = v.trim();
      },
    },
    [],
    (name, s, p) => {
      if (name === 'tun') {
        walk<HostSettings>(
          s,
          p,
          h,
          {
            name: (v, t) => {
              const n = v.trim();
              if (!/^[\x21-\x7e]{1,15}$/.test(n) || n.includes('/')) throw new Error(`'${n}' is not an interface name`);
              t.tunName = n;
            },
            mtu: (v, t) => {
              t.tunMtu = parseInteger(v, 576, 65535);
            },
          },
          [],
        );
        return true;
      }
      if (name === 'log') {
        for (const [k, n] of s.children) {
          if (n.kind === 'section') err(n.pos, `${p}.${k}`, 'unknown section');
          else if (!['ike', 'cfg', 'net', 'esp', 'pfkey', 'daemon', 'default'].includes(k))
            err(n.pos, `${p}.${k}`, 'unknown subsystem (ike, cfg, net, esp, pfkey, daemon, default)');
          else if (!['debug', 'info', 'warn', 'error'].includes(n.value.trim()))
            err(n.pos, `${p}.${k}`, `'${n.value}' is not debug, info, warn or error`);
          else h.logLevels[k] = n.value.trim();
        }
        return true;
      }
      return false;
    },
    ['tun', 'log'],
  );
}
