/**
 * Received IKE_SA_INIT messages, before any IKE SA has keys (RFC 7296 §1.2). A request: a
 * retransmission gets the cached response (§2.1); above the COOKIE threshold the answer is
 * stateless (§2.6); else a half-open responder IKE SA (exchange-init.ts). A response: only
 * for our pending IKE_SA_INIT; it may ask for a retry (COOKIE, INVALID_KE_PAYLOAD), fail, or
 * lead to IKE_AUTH (exchange-auth.ts).
 */
import type { ConnectionConfig } from '../config/swanctl/swanctl-model.js';
import type { CookieGuard } from '../ike/cookie-guard.js';
import type { Endpoint } from '../ike/natd.js';
import { formatIp } from '../util/ip-addr.js';
import { encodeIkeMessage } from '../wire/ike/ike-encode.js';
import { ExchangeType, HeaderFlag, type IkeMessage } from '../wire/ike/ike-types.js';
import type { AuthCallbacks } from './auth-shared.js';
import type { DropReason } from './drop-reason.js';
import { startAuth } from './exchange-auth.js';
import { processInitRequest, processInitResponse } from './exchange-init.js';
import { IkeSa } from './ike-sa.js';
import type { Ikev2Context } from './ikev2-context.js';
import { Notify } from './ikev2-numbers.js';
import { logMessage } from './message-log.js';
import { notify } from './payload-find.js';

/** What IKE_SA_INIT needs of the engine beyond Ikev2Context. */
export interface SaInitHost {
  /** responder IKE SAs by initiator SPI and source, for retransmitted requests */
  readonly halfOpen: Map<string, IkeSa>;
  readonly cookies: CookieGuard;
  /** the IKE SA our SPI names */
  find(ourSpi: bigint): IkeSa | undefined;
  /** a new responder IKE SA: in the SA table, its half-open deadline watched */
  register(sa: IkeSa): void;
  /** (re)send our IKE_SA_INIT request for `sa` */
  sendInit(sa: IkeSa, conn: ConnectionConfig): void;
  authCallbacks(): AuthCallbacks;
  drop(reason: DropReason, detail: string): void;
  /** connections that may serve a peer at `remote` reaching us at `local` (peer-match.ts) */
  candidateConns(local: Uint8Array, remote: Uint8Array): ConnectionConfig[];
}

export function onInitRequest(
  ctx: Ikev2Context,
  host: SaInitHost,
  local: Endpoint,
  remote: Endpoint,
  msg: IkeMessage,
  bytes: Uint8Array,
): void {
  const h = msg.header;
  const key = `${h.spiI.toString(16)}|${formatIp(remote.address)}|${remote.port}`;
  const known = host.halfOpen.get(key);
  if (known) {
    // §2.1: a retransmitted IKE_SA_INIT gets the same response.
    ctx.emit({ kind: 'send', local, remote, bytes: known.initResponse });
    return;
  }
  const nonce = msg.payloads.find((p) => p.kind === 'No');
  const cookieN = msg.payloads.find((p) => p.kind === 'N' && p.notifyType === Notify.COOKIE);
  const src = formatIp(remote.address);
  const v = host.cookies.check(
    ctx.clock.now(),
    src,
    remote.address,
    nonce?.kind === 'No' ? nonce.nonce : new Uint8Array(0),
    h.spiI,
    cookieN?.kind === 'N' ? cookieN.data : undefined,
  );
  if (v.kind === 'drop') {
    host.drop('cookie-limit', `too many half-open IKE SAs from ${src}`);
    return;
  }
  if (v.kind === 'send-cookie') {
    // §2.6: stateless reply demanding the cookie.
    const reply = encodeIkeMessage(
      { spiI: h.spiI, spiR: 0n, exchangeType: ExchangeType.IKE_SA_INIT, flags: HeaderFlag.RESPONSE, messageId: 0 },
      [notify(Notify.COOKIE, v.cookie)],
    );
    ctx.emit({ kind: 'send', local, remote, bytes: reply });
    return;
  }
  const spi = new Uint8Array(8);
  ctx.rng.fill(spi);
  const sa = new IkeSa(false, h.spiI, local, remote);
  sa.spiR = new DataView(spi.buffer).getBigUint64(0) || 1n;
  sa.lastInbound = ctx.clock.now();
  const conns = host.candidateConns(local.address, remote.address);
  sa.conn = conns[0];
  logMessage(ctx.logger, sa, 'received', bytes, msg.payloads, msg);
  const out = processInitRequest(ctx, sa, conns, msg, bytes);
  if (out.kind === 'drop') return;
  logMessage(ctx.logger, sa, 'sending', out.bytes, undefined);
  ctx.emit({ kind: 'send', local, remote, bytes: out.bytes });
  if (out.kind === 'created') {
    host.cookies.opened(src);
    host.register(sa);
    host.halfOpen.set(key, sa);
  }
}

export function onInitResponse(
  ctx: Ikev2Context,
  host: SaInitHost,
  local: Endpoint,
  remote: Endpoint,
  msg: IkeMessage,
  bytes: Uint8Array,
): void {
  const sa = host.find(msg.header.spiI);
  if (
    !sa ||
    !sa.initiator ||
    sa.keys ||
    sa.pending?.exchange !== ExchangeType.IKE_SA_INIT ||
    msg.header.messageId !== 0
  ) {
    host.drop('unexpected-response', 'IKE_SA_INIT response for no pending request');
    return;
  }
  const conn = sa.conn as ConnectionConfig;
  logMessage(ctx.logger, sa, 'received', bytes, msg.payloads, msg);
  sa.local = { address: sa.local.address, port: local.port };
  sa.remote = remote;
  const out = processInitResponse(ctx, sa, conn, msg, bytes);
  if (out.kind === 'retry') {
    sa.pending = undefined;
    host.sendInit(sa, conn);
    return;
  }
  sa.pending = undefined;
  if (out.kind === 'failed') {
    if (out.notify)
      ctx.event({
        kind: 'auth-failed',
        conn: sa.name,
        ikeId: sa.id,
        notify: out.notify,
        peer: formatIp(remote.address),
        detail: out.reason,
      });
    ctx.destroy(sa, `${out.reason}${out.notify ? ` from ${formatIp(remote.address)}` : ''}`);
    return;
  }
  startAuth(ctx, sa, conn, host.authCallbacks());
}
