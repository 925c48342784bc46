/**
 * Framing of PF_KEY messages on a byte stream (our Unix-socket transport): each message
 * carries its own length in sadb_msg_len (64-bit words, bytes 4-5, host order; RFC 2367 §2.1).
 *
 *   | sadb_msg (len=N) ... N*8 bytes | sadb_msg (len=M) ... M*8 bytes | partial ...
 *   <------------- messages[0] ------><-------- messages[1] ---------><--- rest --->
 */
import { WireError } from '../../util/errors.js';
import { PFKEY_MAX_MESSAGE, SADB_MSG_SIZE } from './constants.js';

export interface PfkeyStreamSplit {
  /** complete messages, as views into the input */
  readonly messages: Uint8Array[];
  /** an incomplete tail to prepend to the next chunk */
  readonly rest: Uint8Array;
}

/**
 * Cut complete messages off the front of `buffer`. Only the length is interpreted: decode
 * each message with decodePfkeyMessage. Throws WireError bad-value when a length is below
 * one sadb_msg (2 words) or above `maxMessage` bytes (the stream cannot be resynchronised:
 * close it). `offset` reports the absolute position of the bad length field in `buffer`.
 */
export function splitPfkeyStream(buffer: Uint8Array, maxMessage = PFKEY_MAX_MESSAGE): PfkeyStreamSplit {
  const messages: Uint8Array[] = [];
  let pos = 0;
  while (buffer.length - pos >= 6) {
    const words = (buffer[pos + 4] as number) | ((buffer[pos + 5] as number) << 8);
    const size = words * 8;
    if (size < SADB_MSG_SIZE) {
      throw new WireError('bad-value', `stream.msg[${messages.length}].len`, pos + 4, `sadb_msg_len ${words} words`);
    }
    if (size > maxMessage) {
      throw new WireError(
        'bad-value',
        `stream.msg[${messages.length}].len`,
        pos + 4,
        `message of ${size} bytes exceeds the ${maxMessage}-byte limit`,
      );
    }
    if (buffer.length - pos < size) break;
    messages.push(buffer.subarray(pos, pos + size));
    pos += size;
  }
  return { messages, rest: buffer.subarray(pos) };
}
