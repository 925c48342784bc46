import { ConfigError } from '../../util/errors.js';

/** Where a setkey token starts: 1-based line and column, as editors show them. */
export interface SourcePos {
  readonly line: number;
  readonly column: number;
}

/**
 * A setkey syntax or semantic error. `path` (and the message prefix) is
 * `file:line:column`; the message ends with the offending token, e.g.
 * `setkey.conf:3:17: unknown encryption algorithm "aes-ccm" (token 'aes-ccm')`.
 */
export class SetkeyError extends ConfigError {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** the offending token's text, or `<end of input>` */
  readonly token: string;
  readonly detail: string;
  constructor(file: string, pos: SourcePos, token: string, detail: string) {
    super(`${file}:${pos.line}:${pos.column}`, `${detail} (token '${token}')`);
    this.file = file;
    this.line = pos.line;
    this.column = pos.column;
    this.token = token;
    this.detail = detail;
  }
}
