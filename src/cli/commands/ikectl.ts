/**
 * The IKE daemon's command-line clients, all over DIR/iked.sock (docs/ikev2.md):
 *   esprit up NAME [--child CHILD]   wait until the CHILD SA is installed or failed (exit 0/1)
 *   esprit down NAME                 delete the connection's IKE SAs
 *   esprit list-sas [--json]         IKE and CHILD SAs, like swanctl --list-sas, with byte and
 *                                    packet counters from ipsecd (DIR/control.sock)
 *   esprit list-conns [--json]       the loaded connections
 *   esprit reload                    re-read the config
 *   esprit monitor [--json]          a live stream of events, one per line
 */
import net from 'node:net';
import type { ChildSaReport, ConnReport, IkeSaReport } from '../../daemon/iked.js';
import { eventJson, formatEvent, type IkeEvent } from '../../ike/ike-events.js';
import type { DataplaneSaReport } from '../../wire/control/control-message.js';
import { DEFAULT_RUN_DIR, runDirPaths, takeRunDir } from '../run-dir.js';
import { controlRequest } from './status.js';

const USAGE = `usage: esprit up NAME [--child CHILD] [--run-dir DIR]
       esprit down NAME [--run-dir DIR]
       esprit list-sas [--json] [--run-dir DIR]
       esprit list-conns [--json] [--run-dir DIR]
       esprit reload [--run-dir DIR]
       esprit monitor [--json] [--run-dir DIR]
  DIR is the run directory of the host (default ${DEFAULT_RUN_DIR}); the IKE daemon listens on DIR/iked.sock.`;

/** Open the control socket, send one request, hand every response line to `onLine` until it returns true. */
function talk(path: string, req: object, onLine: (v: Record<string, unknown>) => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.connect(path);
    let rest = '';
    s.once('connect', () => s.write(`${JSON.stringify(req)}\n`));
    s.on('data', (c: Buffer) => {
      rest += c.toString('utf8');
      let nl = rest.indexOf('\n');
      while (nl >= 0) {
        const line = rest.slice(0, nl);
        rest = rest.slice(nl + 1);
        nl = rest.indexOf('\n');
        if (onLine(JSON.parse(line) as Record<string, unknown>)) {
          s.end();
          resolve();
          return;
        }
      }
    });
    s.once('error', reject);
    s.once('close', () => resolve());
  });
}

const ago = (ms: number): string => {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 120 ? `${s} seconds` : s < 7200 ? `${Math.round(s / 60)} minutes` : `${Math.round(s / 3600)} hours`;
};

/** One entry of `ikectl list-sas --json`: the daemon's report with ipsecd's counters per CHILD SA. */
export interface IkeSaListing extends Omit<IkeSaReport, 'children'> {
  children: (ChildSaReport & { bytesIn: number; packetsIn: number; bytesOut: number; packetsOut: number })[];
}

function formatChild(c: ChildSaReport, counters: Map<string, DataplaneSaReport>, now: number): string[] {
  const mode = c.mode === 'tunnel' ? 'TUNNEL' : 'TRANSPORT';
  const encap = c.encap ? `${mode}-in-UDP` : mode;
  const inC = counters.get(c.spiIn);
  const outC = counters.get(c.spiOut);
  const num = (n: number | undefined): string => String(n ?? 0);
  return [
    `  ${c.name}: reqid ${c.reqid}, INSTALLED, ${encap}, ESP:${c.algorithms}${c.encapPorts ? `, UDP ${c.encapPorts.local} <-> ${c.encapPorts.remote}` : ''}`,
    `    installed ${ago(now - c.installedAt)} ago`,
    `    in  ${c.spiIn}, ${num(inC?.bytes)} bytes, ${num(inC?.packets)} packets`,
    `    out ${c.spiOut}, ${num(outC?.bytes)} bytes, ${num(outC?.packets)} packets`,
    `    local  ${c.localTs.join(' ')}`,
    `    remote ${c.remoteTs.join(' ')}`,
  ];
}

/** swanctl --list-sas style text for one IKE SA. */
export function formatIkeSa(sa: IkeSaReport, counters: Map<string, DataplaneSaReport>, now: number): string {
  const nat = (behind: boolean, faked: boolean): string => (faked ? ' [NAT faked]' : behind ? ' [NAT behind]' : '');
  const ep = (e: { address: string; port: number }): string => `${e.address}[${e.port}]`;
  const lines = [
    `${sa.conn}: #${sa.id}, ${sa.state.toUpperCase()}, IKEv2, ${sa.spiI}_i${sa.initiator ? '*' : ''} ${sa.spiR}_r${sa.initiator ? '' : '*'}`,
    `  local  '${sa.localId}' @ ${ep(sa.local)}${nat(sa.localBehindNat, sa.natFaked)}`,
    `  remote '${sa.remoteId}' @ ${ep(sa.remote)}${sa.remoteEapId ? ` EAP: '${sa.remoteEapId}'` : ''}${nat(sa.remoteBehindNat, false)}`,
    `  ${sa.algorithms}${sa.encap ? `, UDP encapsulation on ${sa.local.port} <-> ${sa.remote.port}` : ''}`,
  ];
  if (sa.vipsLocal.length > 0) lines.push(`  local virtual IPs: ${sa.vipsLocal.join(' ')}`);
  if (sa.vipsRemote.length > 0) lines.push(`  remote virtual IPs: ${sa.vipsRemote.join(' ')}`);
  for (const c of sa.children) lines.push(...formatChild(c, counters, now));
  return lines.join('\n');
}

export async function run(argvIn: string[], name = 'list-sas'): Promise<number> {
  if (argvIn.includes('--help') || argvIn.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  const rd = takeRunDir(argvIn);
  if ('error' in rd) {
    console.error(`esprit ${name}: ${rd.error}`);
    return 2;
  }
  const dir = rd.dir ?? DEFAULT_RUN_DIR;
  const path = `${dir}/iked.sock`;
  const json = rd.rest.includes('--json');
  const args = rd.rest.filter((a) => a !== '--json');
  try {
    switch (name) {
      case 'up': {
        const conn = args[0];
        const ci = args.indexOf('--child');
        const child = ci >= 0 ? args[ci + 1] : undefined;
        if (!conn || conn.startsWith('-') || (ci >= 0 && !child)) {
          console.error(`esprit up: NAME is required\n${USAGE}`);
          return 2;
        }
        let result = { ok: false, reason: 'no answer' };
        await talk(path, { cmd: 'up', conn, ...(child ? { child } : {}) }, (v) => {
          result = { ok: v.ok === true, reason: String(v.reason ?? v.error ?? '') };
          return true;
        });
        if (result.ok) console.log(`connection '${conn}' established successfully`);
        else console.error(`esprit up: establishing '${conn}' failed: ${result.reason}`);
        return result.ok ? 0 : 1;
      }
      case 'down': {
        const conn = args[0];
        if (!conn) {
          console.error(`esprit down: NAME is required\n${USAGE}`);
          return 2;
        }
        let count = 0;
        await talk(path, { cmd: 'down', conn }, (v) => {
          count = Number(v.count ?? 0);
          return true;
        });
        console.log(count > 0 ? `closing ${count} IKE SA(s) of '${conn}'` : `no IKE SA of '${conn}' to close`);
        return 0;
      }
      case 'list-sas': {
        let sas: IkeSaReport[] = [];
        await talk(path, { cmd: 'list-sas' }, (v) => {
          sas = (v.sas as IkeSaReport[]) ?? [];
          return true;
        });
        const counters = new Map<string, DataplaneSaReport>();
        try {
          const st = await controlRequest(runDirPaths(dir).control, { cmd: 'status' });
          if (st.ok)
            for (const s of st.status.dataplane?.sas ?? []) counters.set(s.spi.replace(/^0x/, '').padStart(8, '0'), s);
        } catch {
          // iked alone against a remote ipsecd: no counters
        }
        if (json) {
          const withCounters: IkeSaListing[] = sas.map((sa) => ({
            ...sa,
            children: sa.children.map((c) => ({
              ...c,
              bytesIn: counters.get(c.spiIn)?.bytes ?? 0,
              packetsIn: counters.get(c.spiIn)?.packets ?? 0,
              bytesOut: counters.get(c.spiOut)?.bytes ?? 0,
              packetsOut: counters.get(c.spiOut)?.packets ?? 0,
            })),
          }));
          console.log(JSON.stringify(withCounters, null, 2));
        } else {
          const now = Date.now();
          for (const sa of sas) console.log(formatIkeSa(sa, counters, now));
        }
        return 0;
      }
      case 'list-conns': {
        let conns: ConnReport[] = [];
        await talk(path, { cmd: 'list-conns' }, (v) => {
          conns = (v.conns as ConnReport[]) ?? [];
          return true;
        });
        if (json) console.log(JSON.stringify(conns, null, 2));
        else {
          for (const c of conns) {
            console.log(`${c.name}: IKEv${c.version || 2}, ${c.localAddrs.join(',')}...${c.remoteAddrs.join(',')}`);
            console.log(`  local:  ${c.localAuth} '${c.localId}'`);
            console.log(`  remote: ${c.remoteAuth} '${c.remoteId}'`);
            for (const ch of c.children) {
              console.log(`  ${ch.name}: ${ch.mode.toUpperCase()}, start_action ${ch.startAction}`);
              console.log(`    local:  ${ch.localTs.join(' ')}`);
              console.log(`    remote: ${ch.remoteTs.join(' ')}`);
            }
          }
        }
        return 0;
      }
      case 'reload': {
        let ok = false;
        let errors: string[] = [];
        await talk(path, { cmd: 'reload' }, (v) => {
          ok = v.ok === true;
          errors = (v.errors as string[]) ?? [];
          return true;
        });
        for (const e of errors) console.error(e);
        if (ok) console.log('configuration reloaded');
        return ok ? 0 : 1;
      }
      case 'monitor': {
        await talk(path, { cmd: 'monitor' }, (v) => {
          const e = v.event as IkeEvent | undefined;
          if (e) console.log(json ? eventJson(e) : formatEvent(e));
          return false;
        });
        return 0;
      }
      default:
        console.error(USAGE);
        return 2;
    }
  } catch (e) {
    console.error(`esprit ${name}: ${path}: ${(e as Error).message}`);
    return 1;
  }
}
