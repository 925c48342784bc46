/**
 * sadb_msg_errno per dialect. The SAD/SPD throw PfkeyError with Linux numbers
 * (src/sad/errno.ts); a KAME client must get BSD numbers, which differ for the socket-range
 * errors (EMSGSIZE 90/40, EOPNOTSUPP 95/45, ENOBUFS 105/55 ...; ERRNO in wire/pfkey).
 */
import { ERRNO, type ErrnoName, type PfkeyDialect } from '../wire/pfkey/index.js';

const LINUX_NAMES = new Map<number, ErrnoName>(
  (Object.entries(ERRNO.linux) as [ErrnoName, number][]).map(([name, n]) => [n, name]),
);

/** Name of a Linux errno value, or undefined when the table does not list it. */
export function errnoName(linuxErrno: number): ErrnoName | undefined {
  return LINUX_NAMES.get(linuxErrno);
}

/** The dialect's number for a Linux errno value; unknown values become EINVAL (as Linux pfkey_error does for >= 512). */
export function dialectErrno(dialect: PfkeyDialect, linuxErrno: number): number {
  const name = LINUX_NAMES.get(linuxErrno) ?? 'EINVAL';
  return ERRNO[dialect][name];
}
