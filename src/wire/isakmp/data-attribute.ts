/**
 * ISAKMP data attributes (RFC 2408 §3.3), used by transforms (RFC 2409 Appendix A, RFC 2407
 * §4.5) and by the Mode Config attribute payload (mode-cfg-05 §3.2).
 *
 *  0                   1                   2                   3
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |A|       Attribute Type        |    AF=0  Attribute Length     |
 * |F|                             |    AF=1  Attribute Value      |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * .                   AF=0  Attribute Value                       .
 * .                   AF=1  Not Transmitted                       .
 */
import type { Reader } from '../../util/reader.js';
import type { Writer } from '../../util/writer.js';
import type { DataAttribute } from './isakmp-types.js';

const AF = 0x8000;

/** Decode attributes until the reader's scope ends. */
export function decodeDataAttributes(r: Reader): DataAttribute[] {
  const out: DataAttribute[] = [];
  for (let i = 0; r.remaining > 0; i++) {
    const word = r.u16(`attribute[${i}].type`);
    if (word & AF) {
      out.push({ type: word & 0x7fff, form: 'tv', value: r.bytes(2, `attribute[${i}].value`) });
    } else {
      const len = r.u16(`attribute[${i}].length`);
      out.push({ type: word, form: 'tlv', value: r.bytes(len, `attribute[${i}].value`) });
    }
  }
  return out;
}

export function encodeDataAttribute(w: Writer, a: DataAttribute): void {
  if (a.form === 'tv') {
    w.u16(AF | a.type).bytes(a.value.subarray(0, 2));
    if (a.value.length < 2) w.zeros(2 - a.value.length);
  } else {
    w.u16(a.type & 0x7fff)
      .u16(a.value.length)
      .bytes(a.value);
  }
}

export function dataAttributesLength(as: readonly DataAttribute[]): number {
  let n = 0;
  for (const a of as) n += a.form === 'tv' ? 4 : 4 + a.value.length;
  return n;
}

/** A basic (TV) attribute with a 16-bit value. */
export function tvAttribute(type: number, value: number): DataAttribute {
  return { type, form: 'tv', value: new Uint8Array([(value >> 8) & 0xff, value & 0xff]) };
}

/**
 * A number attribute in the shortest form RFC 2408 §3.3 allows: TV up to 0xffff, else a TLV of
 * 4 octets (as Life-Duration in RFC 2409 Appendix A may be "variable").
 */
export function numberAttribute(type: number, value: number): DataAttribute {
  if (value <= 0xffff) return tvAttribute(type, value);
  const v = new Uint8Array(4);
  new DataView(v.buffer).setUint32(0, value >>> 0);
  return { type, form: 'tlv', value: v };
}

/**
 * The value of an attribute read as an unsigned big-endian integer (TV, or TLV of at most
 * 6 octets); undefined when it is longer. Callers decide whether a form is acceptable.
 */
export function attributeNumber(a: DataAttribute): number | undefined {
  if (a.value.length > 6) return undefined;
  let n = 0;
  for (const b of a.value) n = n * 256 + b;
  return n;
}
