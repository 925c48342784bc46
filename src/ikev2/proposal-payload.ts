/**
 * Between configured proposals (src/config/proposal.ts) and the SA payload (RFC 7296 §3.3).
 */
import type { Proposal } from '../config/proposal.js';
import { TransformType } from '../config/proposal.js';
import type { ReceivedProposal, SelectedProposal } from '../ike/proposal-select.js';
import { ProtocolId } from '../ike/proposal-select.js';
import type { IkeProposal, IkeTransform } from '../wire/ike/ike-types.js';

/**
 * Our proposals as SA payload substructures, numbered from 1 (§3.3.1). `spi` is empty for
 * IKE_SA_INIT, our inbound SPI (4 bytes) for ESP. In IKE_AUTH no DH transform is sent for
 * ESP (§1.2: the first CHILD SA's keys come from the IKE SA), as strongSwan strips them.
 */
export function proposalsToPayload(own: Proposal[], spi: Uint8Array, withDh = true): IkeProposal[] {
  return own.map((p, i) => {
    const t: IkeTransform[] = [];
    for (const e of p.transforms.encr) {
      t.push(
        e.keyLength === undefined
          ? { type: TransformType.ENCR, id: e.id }
          : { type: TransformType.ENCR, id: e.id, keyLength: e.keyLength },
      );
    }
    for (const id of p.transforms.prf) t.push({ type: TransformType.PRF, id });
    for (const id of p.transforms.integ) t.push({ type: TransformType.INTEG, id });
    if (withDh) for (const id of p.transforms.dh) if (id !== 0) t.push({ type: TransformType.DH, id });
    if (p.protocol === 'esp') {
      const esn = p.transforms.esn.length > 0 ? p.transforms.esn : [0];
      for (const id of esn) t.push({ type: TransformType.ESN, id });
    }
    return {
      number: i + 1,
      protocolId: p.protocol === 'ike' ? ProtocolId.IKE : ProtocolId.ESP,
      spi,
      transforms: t,
    };
  });
}

export function payloadToReceived(proposals: IkeProposal[]): ReceivedProposal[] {
  return proposals.map((p) => ({
    proposalNumber: p.number,
    protocolId: p.protocolId,
    // a copy: a view would keep the whole received message alive with the SA
    spi: p.spi.slice(),
    transforms: p.transforms.map((t) =>
      t.keyLength === undefined ? { type: t.type, id: t.id } : { type: t.type, id: t.id, keyLength: t.keyLength },
    ),
  }));
}

/** The single proposal a responder answers with (§2.7), carrying its own SPI. */
export function selectedToPayload(sel: SelectedProposal, spi: Uint8Array): IkeProposal {
  const t: IkeTransform[] = [];
  t.push(
    sel.encr.keyLength === undefined
      ? { type: TransformType.ENCR, id: sel.encr.id }
      : { type: TransformType.ENCR, id: sel.encr.id, keyLength: sel.encr.keyLength },
  );
  if (sel.prf !== undefined) t.push({ type: TransformType.PRF, id: sel.prf });
  if (sel.integ !== undefined) t.push({ type: TransformType.INTEG, id: sel.integ });
  if (sel.dh !== undefined) t.push({ type: TransformType.DH, id: sel.dh });
  if (sel.protocol === 'esp') t.push({ type: TransformType.ESN, id: sel.esn ?? 0 });
  return {
    number: sel.proposalNumber,
    protocolId: sel.protocol === 'ike' ? ProtocolId.IKE : ProtocolId.ESP,
    spi,
    transforms: t,
  };
}

/** ESP proposals without their DH transforms (IKE_AUTH, §1.2). */
export function withoutDh(own: Proposal[]): Proposal[] {
  return own.map((p) => ({ ...p, transforms: { ...p.transforms, dh: [] } }));
}
