/**
 * Address and route changes of this host, for MOBIKE (RFC 4555 §3.5: "information received
 * from lower layers, such as changes in IP addresses or link-down indications"). Node has no
 * netlink socket, so `ip -o monitor address route` (iproute2, execFile-style argv, no shell)
 * reports the kernel's RTM_NEWADDR/DELADDR/NEWROUTE/DELROUTE events; each burst of lines
 * becomes one `changed()` call after `debounceMs` of quiet.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { networkInterfaces } from 'node:os';

export interface AddressMonitor {
  close(): void;
}

export interface AddressMonitorOptions {
  readonly debounceMs?: number;
  /** the ip binary (default 'ip', found on PATH) */
  readonly ipBinary?: string;
  /** `ip monitor` could not run or ended: the caller may poll instead */
  readonly onError?: (message: string) => void;
}

export function watchAddresses(changed: () => void, opts: AddressMonitorOptions = {}): AddressMonitor {
  const debounceMs = opts.debounceMs ?? 300;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const child: ChildProcess = spawn(opts.ipBinary ?? 'ip', ['-o', 'monitor', 'address', 'route'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  // The daemon's lifetime is decided elsewhere: the monitor never keeps the process alive.
  child.unref();
  (child.stdout as { unref?: () => void } | null)?.unref?.();
  child.stdout?.on('data', () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      if (!closed) changed();
    }, debounceMs);
  });
  child.on('error', (e) => opts.onError?.(`ip monitor: ${e.message}`));
  child.on('exit', (code, signal) => {
    if (!closed) opts.onError?.(`ip monitor ended (${signal ?? `exit ${code}`})`);
  });
  return {
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      child.kill();
    },
  };
}

/** The host's unicast addresses other than loopback and link-local (fe80::/10, 169.254/16). */
export function hostAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.internal || /^fe80:/i.test(a.address) || a.address.startsWith('169.254.')) continue;
      out.push(a.address);
    }
  }
  return out;
}
