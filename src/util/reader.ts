import { WireError } from './errors.js';

/**
 * Bounds-checked big-endian cursor over a Uint8Array (subtls `Bytes` style).
 * Every read checks the remaining length and throws a WireError naming the
 * field path and absolute offset. `scope()` opens a length-limited child whose
 * `end()` fails on leftover bytes.
 */
export class Reader {
  readonly buf: Uint8Array;
  readonly view: DataView;
  /** absolute offset of the next byte to read */
  pos: number;
  readonly limit: number;
  readonly path: string;
  /** offset added to positions in error messages (when buf is itself a slice of a larger input) */
  readonly base: number;

  constructor(buf: Uint8Array, path = '', start = 0, limit = buf.length, base = 0) {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = start;
    this.limit = limit;
    this.path = path;
    this.base = base;
  }

  get remaining(): number {
    return this.limit - this.pos;
  }

  private need(n: number, field: string): void {
    if (n < 0 || this.pos + n > this.limit) {
      throw new WireError(
        'truncated',
        this.field(field),
        this.base + this.pos,
        `truncated: need ${n}, have ${this.limit - this.pos}`,
      );
    }
  }

  field(name: string): string {
    if (!name) return this.path || '(root)';
    return this.path ? `${this.path}.${name}` : name;
  }

  u8(field = ''): number {
    this.need(1, field);
    return this.buf[this.pos++] as number;
  }
  u16(field = ''): number {
    this.need(2, field);
    const v = this.view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }
  u16le(field = ''): number {
    this.need(2, field);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }
  u32(field = ''): number {
    this.need(4, field);
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }
  u32le(field = ''): number {
    this.need(4, field);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  u64(field = ''): bigint {
    this.need(8, field);
    const v = this.view.getBigUint64(this.pos);
    this.pos += 8;
    return v;
  }
  u64le(field = ''): bigint {
    this.need(8, field);
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }
  /** A view (not a copy) of the next n bytes. */
  bytes(n: number, field = ''): Uint8Array {
    this.need(n, field);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
  skip(n: number, field = ''): void {
    this.need(n, field);
    this.pos += n;
  }
  /** The rest of this reader's range. */
  rest(): Uint8Array {
    const v = this.buf.subarray(this.pos, this.limit);
    this.pos = this.limit;
    return v;
  }
  /** Open a child reader over the next `len` bytes and advance past them. */
  scope(len: number, label: string): Reader {
    this.need(len, label);
    const child = new Reader(this.buf, this.field(label), this.pos, this.pos + len, this.base);
    this.pos += len;
    return child;
  }
  /** Fail if bytes are left unread. */
  end(): void {
    if (this.pos !== this.limit) {
      throw new WireError(
        'trailing',
        this.field(''),
        this.base + this.pos,
        `trailing: ${this.limit - this.pos} unread bytes`,
      );
    }
  }
  /** Throw a bad-value WireError at the current position (or at `at`). */
  fail(field: string, detail: string, at = this.pos): never {
    throw new WireError('bad-value', this.field(field), this.base + at, detail);
  }
}
