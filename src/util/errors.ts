/**
 * Error types shared by every layer. Each carries a `code` discriminant so callers
 * (and tests) can tell failures apart without parsing messages.
 */

export abstract class IpsecError extends Error {
  abstract readonly code: string;
}

export type WireErrorCode = 'truncated' | 'overrun' | 'trailing' | 'bad-value' | 'duplicate' | 'unsupported';

/** A structural decode failure: names the field path and absolute byte offset. */
export class WireError extends IpsecError {
  override readonly name = 'WireError';
  readonly code: WireErrorCode;
  readonly path: string;
  readonly offset: number;
  constructor(code: WireErrorCode, path: string, offset: number, detail: string) {
    super(`${path}: ${detail} at ${offset}`);
    this.code = code;
    this.path = path;
    this.offset = offset;
  }
}

/** Invalid configuration (SA file, setkey input, daemon options); `path` locates the value. */
export class ConfigError extends IpsecError {
  override readonly name = 'ConfigError';
  readonly code = 'config';
  readonly path: string;
  constructor(path: string, detail: string) {
    super(path ? `${path}: ${detail}` : detail);
    this.path = path;
  }
}

/** A PF_KEY request that the key engine refuses; `errno` is the value put in sadb_msg_errno. */
export class PfkeyError extends IpsecError {
  override readonly name = 'PfkeyError';
  readonly code = 'pfkey';
  readonly errno: number;
  constructor(errno: number, detail: string) {
    super(detail);
    this.errno = errno;
  }
}

/** Misuse of a crypto primitive (wrong key or buffer length); never a data-path authentication failure. */
export class CryptoError extends IpsecError {
  override readonly name = 'CryptoError';
  readonly code = 'crypto';
}

/** Programmer-error assertion; never used for input validation. */
export function assert(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new Error(`assertion failed: ${msg}`);
}
