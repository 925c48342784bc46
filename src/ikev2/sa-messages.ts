/**
 * Messages on an IKE SA that has keys, through its message ID window (RFC 7296 §2.3, window
 * size 1): the response to our pending request, the peer's requests (a retransmitted one gets
 * the cached response), SK sealing and opening with RFC 7383 fragments, and the next queued
 * request once the window is free. The engine (ikev2-engine.ts) has found the SA.
 */
import type { Endpoint } from '../ike/natd.js';
import { ExchangeType, type IkeMessage, type IkePayload } from '../wire/ike/ike-types.js';
import type { DropReason } from './drop-reason.js';
import { acceptsFragments, maxIkeMessageLength, sealOutgoing } from './ike-fragments.js';
import { type FragmentDirection, MAX_FRAGMENTS, openIncoming } from './ike-reassembly.js';
import type { IkeSa } from './ike-sa.js';
import { authOver } from './ike-sa-established.js';
import type { Ikev2Context } from './ikev2-context.js';
import { logMessage, logSent } from './message-log.js';
import { followPeer } from './peer-address.js';
import { type DispatchHost, dispatchRequest } from './request-dispatch.js';

/** What the window handling needs of the engine beyond Ikev2Context. */
export interface SaMessageHost {
  readonly dispatch: DispatchHost;
  /** SAs with a timer running (engine-timers.ts) */
  readonly timed: Set<IkeSa>;
  drop(reason: DropReason, detail: string): void;
}

/** Encrypt a message, as RFC 7383 fragments when it is too big for one datagram (ike-fragments.ts), and log it. */
export function sealMessage(
  ctx: Ikev2Context,
  sa: IkeSa,
  exchange: number,
  response: boolean,
  mid: number,
  payloads: IkePayload[],
): Uint8Array[] {
  const max = maxIkeMessageLength(ctx.config.host, sa.local, sa.remote);
  const out = sealOutgoing(sa, exchange, response, mid, payloads, ctx.rng, max);
  if (out.length > 1)
    ctx.logger.log('info', 'enc', `${sa.name}[#${sa.id}] splitting IKE message into ${out.length} fragments`);
  logSent(ctx.logger, sa, exchange, response, mid, payloads);
  return out;
}

/** Open an SK message, or take an SKF fragment (ike-reassembly.ts); drops are counted. */
function openMessage(
  ctx: Ikev2Context,
  host: SaMessageHost,
  sa: IkeSa,
  dir: FragmentDirection,
  bytes: Uint8Array,
  msg: IkeMessage,
): IkePayload[] | undefined {
  const limits = { maxFragments: MAX_FRAGMENTS, maxBytes: ctx.config.host.maxPacket };
  const o = openIncoming(sa, dir, bytes, msg, limits, acceptsFragments(sa), ctx.clock.now());
  if (o.ok) return o.payloads;
  const what = `${dir} ${msg.header.messageId}: ${o.detail ?? o.reason}`;
  if (o.reason === 'need-more') {
    if (o.duplicate) host.drop('fragment-duplicate', what);
    host.timed.add(sa); // the partial message expires (engine-timers.ts)
    return undefined;
  }
  host.drop(o.reason === 'no-sk' ? 'inner-syntax' : o.reason, what);
  return undefined;
}

export function onResponse(
  ctx: Ikev2Context,
  host: SaMessageHost,
  sa: IkeSa,
  local: Endpoint,
  remote: Endpoint,
  msg: IkeMessage,
  bytes: Uint8Array,
): void {
  const v = sa.window.onResponse(msg.header.messageId);
  const pending = sa.pending;
  if (v.kind === 'drop' || !pending || pending.exchange !== msg.header.exchangeType) {
    host.drop('outside-window', `response ${msg.header.messageId}`);
    return;
  }
  const o = openMessage(ctx, host, sa, 'response', bytes, msg);
  if (!o) return;
  logMessage(ctx.logger, sa, 'received', bytes, o, msg);
  sa.window.completeRequest();
  sa.pending = undefined;
  followPeer(ctx, sa, local, remote);
  pending.onResponse(sa, o);
  if (pending.exchange === ExchangeType.IKE_AUTH) authOver(sa);
  pump(sa);
}

/** Send the next queued request once the window is free (§2.3, window size 1). */
function pump(sa: IkeSa): void {
  if (sa.lifecycle.state === 'destroying') return;
  while (!sa.pending && sa.window.canSend() && sa.queue.length > 0) sa.queue.shift()?.(sa);
}

export function onRequest(
  ctx: Ikev2Context,
  host: SaMessageHost,
  sa: IkeSa,
  local: Endpoint,
  remote: Endpoint,
  msg: IkeMessage,
  bytes: Uint8Array,
): void {
  const mid = msg.header.messageId;
  const v = sa.window.onRequest(mid);
  if (v.kind === 'retransmit') {
    // RFC 7383 §2.6.1: of a retransmitted fragmented request only fragment 1 gets the response again.
    const f = msg.payloads.at(-1);
    if (f?.kind === 'SKF' && f.fragmentNumber !== 1) return;
    for (const b of v.response) ctx.emit({ kind: 'send', local, remote, bytes: b });
    return;
  }
  if (v.kind !== 'new') {
    host.drop('outside-window', `request ${mid}: ${v.kind === 'drop' ? v.reason : 'busy'}`);
    return;
  }
  const o = openMessage(ctx, host, sa, 'request', bytes, msg);
  if (!o) {
    sa.window.rejected();
    return;
  }
  sa.window.accepted(mid);
  logMessage(ctx.logger, sa, 'received', bytes, o, msg);
  followPeer(ctx, sa, local, remote);
  const exchange = msg.header.exchangeType;
  const respond = (payloads: IkePayload[]): void => {
    if (
      sa.lifecycle.state === 'destroying' &&
      exchange !== ExchangeType.INFORMATIONAL &&
      exchange !== ExchangeType.IKE_AUTH
    )
      return;
    const out = sealMessage(ctx, sa, exchange, true, mid, payloads);
    sa.window.responded(out);
    if (exchange === ExchangeType.IKE_AUTH) authOver(sa);
    // §2.11, RFC 4555 §3.5: a response goes back to where its request came from.
    for (const b of out) ctx.emit({ kind: 'send', local, remote, bytes: b });
    pump(sa);
  };
  dispatchRequest(ctx, host.dispatch, sa, local, remote, exchange, o, respond);
}
