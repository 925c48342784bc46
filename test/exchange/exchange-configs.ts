/**
 * The swanctl.conf texts of the in-process exchange tests (ikev2-exchanges.test.ts,
 * ikev2-mobike.test.ts): a gateway with a pool and two CHILD configs, and its road warrior
 * (test/util/ikev2-swanctl.ts with these tests' defaults: explicit proposals, a second CHILD
 * config `web`, their own PSK).
 */
import { pskGateway, pskRoadWarrior } from '../util/ikev2-swanctl.js';

const PSK = 'a pre-shared key';
const PROPOSALS = 'aes128-sha256-modp2048';
const ESP = 'aes128gcm16';

/** The gateway (10.99.2.2): PSK, pool rw4, CHILD configs net (10.99.3.0/24) and web (10.99.5.0/24). */
export const GW = (
  o: {
    proposals?: string;
    esp?: string;
    pool?: string;
    remoteId?: string;
    ts?: string;
    secret?: string;
    mobike?: boolean;
    remoteAddrs?: string;
    rekey?: string;
  } = {},
): string =>
  pskGateway({ ...o, proposals: o.proposals ?? PROPOSALS, esp: o.esp ?? ESP, web: true, secret: o.secret ?? PSK });

/** The road warrior: to 10.99.2.2, asks for a virtual IPv4 address, CHILD configs net and web. */
export const CLIENT = (
  o: {
    proposals?: string;
    esp?: string;
    encap?: boolean;
    remoteTs?: string;
    vips?: string;
    rekey?: string;
    mobike?: boolean;
    dpd?: string;
  } = {},
): string => {
  const { dpd, ...rest } = o;
  return pskRoadWarrior({
    ...rest,
    ...(dpd ? { dpdDelay: dpd } : {}),
    proposals: o.proposals ?? PROPOSALS,
    esp: o.esp ?? ESP,
    web: true,
    secret: PSK,
  });
};
