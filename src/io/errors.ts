import { IpsecError } from '../util/errors.js';

/**
 * Errors of the I/O adapters. Setup calls (open, ioctl, bind, `ip ...`) throw these;
 * the per-packet calls never throw and count their failures instead.
 */

/** A failed system call; `errno` is the Linux errno value and `syscall` names the call. */
export class SyscallError extends IpsecError {
  override readonly name = 'SyscallError';
  readonly code = 'syscall';
  readonly syscall: string;
  readonly errno: number;
  constructor(syscall: string, errno: number, detail: string) {
    super(`${syscall}: ${detail} (errno ${errno})`);
    this.syscall = syscall;
    this.errno = errno;
  }
}

/**
 * Why an `ip` (iproute2) command failed, classified from its exit status and stderr:
 * `exists` (RTNETLINK answers: File exists; ipv4: Address already assigned), `no-device` (Cannot find device / No such device),
 * `permission` (Operation not permitted), `no-binary` (ip not installed), `other`.
 */
export type IpCommandFailure = 'exists' | 'no-device' | 'permission' | 'no-binary' | 'other';

/** An iproute2 command that failed; carries the argument vector and stderr. */
export class IpCommandError extends IpsecError {
  override readonly name = 'IpCommandError';
  readonly code = 'ip-command';
  readonly reason: IpCommandFailure;
  readonly argv: readonly string[];
  readonly exitCode: number | null;
  readonly stderr: string;
  constructor(reason: IpCommandFailure, argv: readonly string[], exitCode: number | null, stderr: string) {
    super(`${argv.join(' ')}: ${reason} (exit ${exitCode}): ${stderr.trim()}`);
    this.reason = reason;
    this.argv = argv;
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}

/** A Unix socket path already served by a live process (not a stale file). */
export class AddressInUseError extends IpsecError {
  override readonly name = 'AddressInUseError';
  readonly code = 'address-in-use';
  readonly path: string;
  constructor(path: string) {
    super(`${path}: a live server already listens on this socket`);
    this.path = path;
  }
}
