/**
 * CREATE_CHILD_SA for an additional CHILD SA (RFC 7296 §1.3.1), with PFS when the ESP
 * proposal carries a DH group:
 *
 *   HDR, SK {SA, Ni, [KEi], TSi, TSr}  -->
 *                     <--  HDR, SK {SA, Nr, [KEr], TSi, TSr}
 *
 * A request with REKEY_SA (§1.3.3) is answered like a new CHILD SA; the initiator of the
 * rekey then deletes the old one. A rekey of a CHILD SA we are deleting is answered
 * TEMPORARY_FAILURE, of one we do not have CHILD_SA_NOT_FOUND (§2.25.1); of one we are
 * rekeying ourselves, as usual, with the collision noted for rekey-collision.ts (§2.8.1).
 * Rekeying the IKE SA (§1.3.2) is ike-rekey.ts's.
 */
import type { ChildConfig, ConnectionConfig } from '../config/swanctl/swanctl-model.js';
import { createKeyExchange, type KeyExchange } from '../crypto/ike/key-exchange.js';
import { formatIp, parseIp } from '../util/ip-addr.js';
import { ExchangeType, type IkePayload } from '../wire/ike/ike-types.js';
import {
  acceptAnswer,
  answerChild,
  childReqid,
  chooseChild,
  initiatorLocalTs,
  makeChild,
  offerChild,
  remoteTsOf,
} from './child-create.js';
import { NONCE_LENGTH } from './exchange-init.js';
import type { ChildSa, IkeSa } from './ike-sa.js';
import type { Ikev2Context } from './ikev2-context.js';
import { Notify, notifyText, Protocol } from './ikev2-numbers.js';
import { first, firstError, notify } from './payload-find.js';

function pfsGroup(child: ChildConfig): number | undefined {
  const g = child.espProposals[0]?.transforms.dh.find((d) => d !== 0);
  return g;
}

/**
 * A new CHILD SA for `child`, or with `rekey` the replacement of that CHILD SA (§1.3.3:
 * REKEY_SA names it by our inbound SPI; the selectors stay those it was negotiated with).
 */
export function startCreateChild(
  ctx: Ikev2Context,
  sa: IkeSa,
  conn: ConnectionConfig,
  child: ChildConfig,
  done: (ok: boolean, reason: string, made?: { child: ChildSa; nonceI: Uint8Array; nonceR: Uint8Array }) => void,
  rekey?: ChildSa,
): void {
  const tsi = rekey ? rekey.localTs : initiatorLocalTs(child, conn, sa);
  const tsr = rekey ? rekey.remoteTs : remoteTsOf(child, sa, []);
  ctx.getSpi(sa, childReqid(ctx, sa, child.name, tsr), (spiIn) => {
    if (spiIn === undefined) {
      done(false, 'GETSPI failed');
      return;
    }
    const ni = new Uint8Array(NONCE_LENGTH);
    ctx.rng.fill(ni);
    const group = pfsGroup(child);
    const ke: KeyExchange | undefined = group !== undefined ? createKeyExchange(group, ctx.rng) : undefined;
    const offer = offerChild(child, spiIn, tsi, tsr, false);
    const sa2 = offer.filter((p) => p.kind === 'SA' || p.kind === 'N');
    if (rekey) {
      const old = new Uint8Array(4);
      new DataView(old.buffer).setUint32(0, rekey.spiIn);
      sa2.unshift(notify(Notify.REKEY_SA, new Uint8Array(0), Protocol.ESP, old));
    }
    const rest = offer.filter((p) => p.kind === 'TSi' || p.kind === 'TSr');
    const payloads: IkePayload[] = [...sa2, { kind: 'No', nonce: ni }];
    if (ke) payloads.push({ kind: 'KE', dhGroup: ke.group, keyData: ke.publicValue });
    payloads.push(...rest);
    ctx.request(
      sa,
      ExchangeType.CREATE_CHILD_SA,
      payloads,
      (s, p) => {
        const err = firstError(p);
        if (err) {
          done(false, `${notifyText(err.notifyType)} from ${formatIp(s.remote.address)}`);
          return;
        }
        const nr = first(p, 'No');
        if (!nr || nr.nonce.length < 16 || nr.nonce.length > 256) {
          done(false, 'CREATE_CHILD_SA response without a valid nonce');
          return;
        }
        let gir: Uint8Array | undefined;
        if (ke) {
          const ker = first(p, 'KE');
          if (!ker || ker.dhGroup !== ke.group) {
            done(false, 'CREATE_CHILD_SA response without the KE payload for PFS');
            return;
          }
          try {
            gir = ke.sharedSecret(ker.keyData);
          } catch (e) {
            done(false, e instanceof Error ? e.message : 'bad KE');
            return;
          }
        }
        const a = acceptAnswer(child, p, tsi, tsr, false);
        if (!a.ok) {
          done(false, a.reason);
          return;
        }
        const made = makeChild(ctx, s, child, a.sel, true, spiIn, a.spiOut, a.tsi, a.tsr, ni, nr.nonce, gir);
        done(true, 'established', { child: made, nonceI: ni, nonceR: nr.nonce });
      },
      () => done(false, 'peer did not answer CREATE_CHILD_SA'),
    );
  });
}

export function processCreateChildRequest(
  ctx: Ikev2Context,
  sa: IkeSa,
  p: IkePayload[],
  respond: (payloads: IkePayload[]) => void,
): void {
  const conn = sa.conn;
  const saP = first(p, 'SA');
  const ni = first(p, 'No');
  if (!conn || !saP || !ni) {
    respond([notify(Notify.INVALID_SYNTAX)]);
    return;
  }
  // An IKE SA rekey (IKE proposals) is handled by ike-rekey.ts before this point.
  if (saP.proposals.some((x) => x.protocolId === Protocol.IKE)) {
    respond([notify(Notify.NO_PROPOSAL_CHOSEN)]);
    return;
  }
  // §1.3.3: the peer rekeys one of our CHILD SAs (named by its inbound SPI, our outbound one):
  // we do not rekey it ourselves meanwhile; the peer deletes it once the new one is up.
  const rekeyed = p.find((x) => x.kind === 'N' && x.notifyType === Notify.REKEY_SA);
  let old: ChildSa | undefined;
  let collided = false;
  if (rekeyed?.kind === 'N') {
    const spi =
      rekeyed.spi.length === 4 ? new DataView(rekeyed.spi.buffer, rekeyed.spi.byteOffset, 4).getUint32(0) : -1;
    old = sa.children.find((c) => c.spiOut === spi);
    // §2.25: "the SPI field in the Notify payload ... is copied from the SPI field in the
    // REKEY_SA notification".
    if (!old) {
      respond([notify(Notify.CHILD_SA_NOT_FOUND, new Uint8Array(0), Protocol.ESP, rekeyed.spi.slice())]);
      return;
    }
    // §2.25.1: being closed (by our Delete, or replaced by an earlier rekey of the peer).
    if (old.deleting || old.replacedBy) {
      respond([notify(Notify.TEMPORARY_FAILURE)]);
      return;
    }
    collided = old.rekeying === 'local';
    if (!collided) old.rekeying = 'peer';
  }
  const remoteDynamic = sa.vipsRemote.map((v) => parseIp(v.address).bytes);
  const choice = chooseChild(sa, conn, p, false, remoteDynamic);
  if (!choice.ok) {
    respond([notify(choice.notify)]);
    return;
  }
  let ke: KeyExchange | undefined;
  let gir: Uint8Array | undefined;
  if (choice.sel.dh !== undefined) {
    const kei = first(p, 'KE');
    if (!kei || kei.dhGroup !== choice.sel.dh) {
      const g = choice.sel.dh;
      respond([notify(Notify.INVALID_KE_PAYLOAD, new Uint8Array([g >> 8, g & 0xff]))]);
      return;
    }
    ke = createKeyExchange(choice.sel.dh, ctx.rng);
    try {
      gir = ke.sharedSecret(kei.keyData);
    } catch {
      respond([notify(Notify.INVALID_SYNTAX)]);
      return;
    }
  }
  ctx.getSpi(sa, childReqid(ctx, sa, choice.child.name, choice.tsi), (spiIn) => {
    if (spiIn === undefined) {
      respond([notify(Notify.TEMPORARY_FAILURE)]);
      return;
    }
    const nr = new Uint8Array(NONCE_LENGTH);
    ctx.rng.fill(nr);
    if (old && !sa.children.includes(old)) old = undefined; // deleted while GETSPI ran
    const made = makeChild(
      ctx,
      sa,
      choice.child,
      choice.sel,
      false,
      spiIn,
      choice.spiOut,
      choice.tsi,
      choice.tsr,
      ni.nonce,
      nr,
      gir,
      old,
    );
    // §2.8.1: "it cannot yet know which of the exchanges will have the lowest nonce, so it
    // will just note the situation and respond as usual".
    if (old && collided) old.collision = { made, nonceI: ni.nonce.slice(), nonceR: nr };
    const ans = answerChild(choice, spiIn);
    const out: IkePayload[] = [...ans.filter((x) => x.kind === 'SA' || x.kind === 'N'), { kind: 'No', nonce: nr }];
    if (ke) out.push({ kind: 'KE', dhGroup: ke.group, keyData: ke.publicValue });
    out.push(...ans.filter((x) => x.kind === 'TSi' || x.kind === 'TSr'));
    respond(out);
  });
}
