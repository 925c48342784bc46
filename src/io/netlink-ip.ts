import { execFile } from 'node:child_process';
import { IpCommandError, type IpCommandFailure } from './errors.js';

/**
 * Link configuration through iproute2's `ip`, run with execFile and an argument array
 * (never a shell). Every helper takes an optional `netns` (`ip -n NS ...`) so tests and
 * composition roots can configure a namespace from outside it.
 * Failures throw IpCommandError with a classified `reason`.
 */

export interface IpOptions {
  /** Run against this named network namespace (`ip -n`). */
  readonly netns?: string;
  /** The ip binary (default 'ip', found on PATH). */
  readonly ipBinary?: string;
}

function classify(code: number | string | null | undefined, stderr: string): IpCommandFailure {
  if (code === 'ENOENT') return 'no-binary';
  if (/File exists|already assigned|already exists/i.test(stderr)) return 'exists';
  if (/Cannot find device|No such device|does not exist/i.test(stderr)) return 'no-device';
  if (/Operation not permitted|Permission denied/i.test(stderr)) return 'permission';
  return 'other';
}

/** Run `ip [-n NS] ...args`; resolves with stdout, rejects with IpCommandError. */
export function runIp(args: readonly string[], opts: IpOptions = {}): Promise<string> {
  const argv = [...(opts.netns ? ['-n', opts.netns] : []), ...args];
  const bin = opts.ipBinary ?? 'ip';
  return new Promise((resolve, reject) => {
    execFile(bin, argv, { encoding: 'utf8', timeout: 10_000 }, (err, stdout, stderr) => {
      if (!err) {
        resolve(stdout);
        return;
      }
      const code = (err as NodeJS.ErrnoException).code;
      const exit = typeof code === 'number' ? code : null;
      reject(new IpCommandError(classify(code, stderr), [bin, ...argv], exit, stderr || err.message));
    });
  });
}

/** `ip link set NAME up`. */
export async function linkUp(name: string, opts?: IpOptions): Promise<void> {
  await runIp(['link', 'set', 'dev', name, 'up'], opts);
}

/** `ip link set NAME down`. */
export async function linkDown(name: string, opts?: IpOptions): Promise<void> {
  await runIp(['link', 'set', 'dev', name, 'down'], opts);
}

/** `ip link set NAME mtu MTU`. */
export async function setMtu(name: string, mtu: number, opts?: IpOptions): Promise<void> {
  if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) throw new RangeError(`mtu ${mtu} out of range 68..65535`);
  await runIp(['link', 'set', 'dev', name, 'mtu', String(mtu)], opts);
}

/**
 * `ip addr add CIDR dev NAME` (IPv6 with `nodad`, so the address is usable at once).
 * Rejects with reason 'exists' when the address is already there.
 */
export async function addAddress(name: string, cidr: string, opts?: IpOptions): Promise<void> {
  const v6 = cidr.includes(':');
  await runIp([...(v6 ? ['-6'] : []), 'addr', 'add', cidr, 'dev', name, ...(v6 ? ['nodad'] : [])], opts);
}

/** `ip route add CIDR dev NAME [via GW]`. Rejects with reason 'exists' for a duplicate route. */
export async function addRoute(cidr: string, dev: string, opts?: IpOptions & { readonly via?: string }): Promise<void> {
  const v6 = cidr.includes(':');
  const via = opts?.via ? ['via', opts.via] : [];
  await runIp([...(v6 ? ['-6'] : []), 'route', 'add', cidr, ...via, 'dev', dev], opts);
}

/** What `ip -j -d link show` tells about one link. */
export interface LinkInfo {
  readonly name: string;
  readonly index: number;
  readonly mtu: number;
  readonly up: boolean;
  /** linkinfo.info_kind: 'tun', 'veth', ... ('' for none, e.g. lo). */
  readonly kind: string;
  readonly flags: readonly string[];
}

/** The link NAME, or undefined when there is none. */
export async function getLink(name: string, opts?: IpOptions): Promise<LinkInfo | undefined> {
  let out: string;
  try {
    out = await runIp(['-j', '-d', 'link', 'show', 'dev', name], opts);
  } catch (e) {
    if (e instanceof IpCommandError && e.reason === 'no-device') return undefined;
    throw e;
  }
  const parsed: unknown = JSON.parse(out);
  const first: unknown = Array.isArray(parsed) ? parsed[0] : undefined;
  if (typeof first !== 'object' || first === null) return undefined;
  const o = first as {
    ifname?: unknown;
    ifindex?: unknown;
    mtu?: unknown;
    flags?: unknown;
    linkinfo?: { info_kind?: unknown };
  };
  const flags = Array.isArray(o.flags) ? o.flags.filter((f): f is string => typeof f === 'string') : [];
  return {
    name: typeof o.ifname === 'string' ? o.ifname : name,
    index: typeof o.ifindex === 'number' ? o.ifindex : 0,
    mtu: typeof o.mtu === 'number' ? o.mtu : 0,
    up: flags.includes('UP'),
    kind: typeof o.linkinfo?.info_kind === 'string' ? o.linkinfo.info_kind : '',
    flags,
  };
}

/** `ip link del NAME`. */
export async function deleteLink(name: string, opts?: IpOptions): Promise<void> {
  await runIp(['link', 'del', 'dev', name], opts);
}

/**
 * Crash hygiene: delete a TUN device called NAME left behind by a previous run (a persistent
 * one, or one still held by a dying process). Returns true when one was deleted, false when
 * none exists. Throws IpCommandError (reason 'other') when NAME exists but is not a TUN,
 * so that a real interface is never removed by mistake.
 */
export async function removeStaleTun(name: string, opts?: IpOptions): Promise<boolean> {
  const link = await getLink(name, opts);
  if (!link) return false;
  if (link.kind !== 'tun') {
    throw new IpCommandError(
      'other',
      ['removeStaleTun', name],
      null,
      `refusing to delete ${name}: it is a ${link.kind || 'non-tun'} device`,
    );
  }
  await deleteLink(name, opts);
  return true;
}
