/** Small lookups over a decoded payload list. */
import type { IkePayload, NotifyPayload } from '../wire/ike/ike-types.js';

/** The member(s) of the payload union whose `kind` may be K (IDi/IDr and TSi/TSr share a member). */
export type PayloadOf<K extends IkePayload['kind']> = IkePayload extends infer P
  ? P extends { kind: infer PK }
    ? K extends PK
      ? P & { kind: K }
      : never
    : never
  : never;

export function first<K extends IkePayload['kind']>(
  payloads: readonly IkePayload[],
  kind: K,
): PayloadOf<K> | undefined {
  return payloads.find((p): p is PayloadOf<K> => p.kind === kind);
}

export function all<K extends IkePayload['kind']>(payloads: readonly IkePayload[], kind: K): PayloadOf<K>[] {
  return payloads.filter((p): p is PayloadOf<K> => p.kind === kind);
}

export function notifies(payloads: readonly IkePayload[], type: number): NotifyPayload[] {
  return all(payloads, 'N').filter((n) => n.notifyType === type);
}

export function firstError(payloads: readonly IkePayload[]): NotifyPayload | undefined {
  return all(payloads, 'N').find((n) => n.notifyType > 0 && n.notifyType < 16384);
}

export function notify(
  notifyType: number,
  data: Uint8Array = new Uint8Array(0),
  protocolId = 0,
  spi = new Uint8Array(0),
): NotifyPayload {
  return { kind: 'N', protocolId, spi, notifyType, data };
}
