/**
 * INFORMATIONAL exchanges (RFC 7296 §1.4): Delete of the IKE SA or of CHILD SAs, and the
 * empty request that checks liveness (§2.4), which is simply answered.
 *
 *   HDR, SK {[N,] [D,] [CP,] ...}  -->
 *                     <--  HDR, SK {[N,] [D,] [CP], ...}
 */
import { ExchangeType, type IkePayload } from '../wire/ike/ike-types.js';
import { removeChild } from './child-create.js';
import type { ChildSa, IkeSa } from './ike-sa.js';
import type { Ikev2Context } from './ikev2-context.js';
import { Protocol } from './ikev2-numbers.js';
import { livenessNatd, livenessReply } from './mobike.js';
import { all } from './payload-find.js';

const spiBytes = (spi: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, spi);
  return b;
};

/** The peer's request. Returns true when it deleted the IKE SA (destroy after responding). */
export function processInformationalRequest(
  ctx: Ikev2Context,
  sa: IkeSa,
  p: IkePayload[],
  respond: (payloads: IkePayload[]) => void,
): boolean {
  const deletes = all(p, 'D');
  if (deletes.some((d) => d.protocolId === Protocol.IKE)) {
    // §1.4.1: deleting the IKE SA deletes its CHILD SAs; the response is empty.
    respond([]);
    return true;
  }
  const ours: Uint8Array[] = [];
  for (const d of deletes) {
    if (d.protocolId !== Protocol.ESP || d.spiSize !== 4) continue;
    for (const s of d.spis) {
      // §3.11: the SPI is the one the sender expects inbound, i.e. our outbound SPI.
      const spi = new DataView(s.buffer, s.byteOffset, 4).getUint32(0);
      const c = sa.children.find((x) => x.spiOut === spi);
      if (!c) continue;
      ours.push(spiBytes(c.spiIn));
      removeChild(ctx, sa, c, 'deleted by peer');
    }
  }
  // §1.4.1: answer with the SPIs of our inbound SAs of the same pairs.
  respond(ours.length > 0 ? [{ kind: 'D', protocolId: Protocol.ESP, spiSize: 4, spis: ours }] : []);
  return false;
}

/** Delete one CHILD SA (ours is removed once the peer confirms, or the request times out). */
export function deleteChild(ctx: Ikev2Context, sa: IkeSa, c: ChildSa, reason: string): void {
  c.deleting = true;
  ctx.request(
    sa,
    ExchangeType.INFORMATIONAL,
    [{ kind: 'D', protocolId: Protocol.ESP, spiSize: 4, spis: [spiBytes(c.spiIn)] }],
    (s) => {
      if (s.children.includes(c)) removeChild(ctx, s, c, reason);
    },
    (s) => {
      if (s.children.includes(c)) removeChild(ctx, s, c, reason);
    },
  );
}

/** Delete the IKE SA: Delete(IKE) then destroy, whether the peer answers or not. */
export function deleteIke(ctx: Ikev2Context, sa: IkeSa, reason: string): void {
  ctx.request(
    sa,
    ExchangeType.INFORMATIONAL,
    [{ kind: 'D', protocolId: Protocol.IKE, spiSize: 0, spis: [] }],
    (s) => ctx.destroy(s, reason),
    (s) => ctx.destroy(s, `${reason} (peer did not confirm)`),
  );
}

/**
 * An empty INFORMATIONAL request: the liveness check of §2.4 (with NAT-D when MOBIKE is on
 * and we are behind a NAT, RFC 4555 §3.8; a changed mapping starts an address update).
 */
export function livenessCheck(ctx: Ikev2Context, sa: IkeSa, dead: (sa: IkeSa) => void): void {
  ctx.request(
    sa,
    ExchangeType.INFORMATIONAL,
    () => livenessNatd(ctx, sa),
    (s, p) => livenessReply(ctx, s, p),
    dead,
  );
}
