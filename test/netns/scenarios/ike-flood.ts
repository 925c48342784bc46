/**
 * A bounded IKE_SA_INIT flood, run inside a lab namespace by ikev2-long-lived.test.ts:
 *
 *   node ike-flood.js DST COUNT RATE_PER_S
 *
 * One real IKE_SA_INIT request is made by esprit's initiator (PSK config, x25519), then sent
 * COUNT times with a fresh random initiator SPI each (every copy is a new half-open IKE SA to
 * the responder), RATE_PER_S a second, from one UDP socket. Prints one JSON line: how many were
 * sent, and how the responder answered: with a COOKIE demand (RFC 7296 §2.6), with a full
 * IKE_SA_INIT response (state kept), or not at all.
 */
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { NodeRng } from '../../../src/crypto/random.js';
import { Ikev2Engine } from '../../../src/ikev2/ikev2-engine.js';
import { parseIp } from '../../../src/util/ip-addr.js';
import { nullLogger } from '../../../src/util/logger.js';
import { decodeIkeMessage } from '../../../src/wire/ike/ike-decode.js';
import { configFromText } from '../../exchange/test-config.js';

const COOKIE = 16390;

async function main(): Promise<void> {
  const [dst = '10.99.2.2', countText = '1000', rateText = '500'] = process.argv.slice(2);
  const count = Number(countText);
  const rate = Number(rateText);
  const conf = `connections { flood { remote_addrs = ${dst}\n proposals = aes128-sha256-x25519\n local { auth = psk\n id = flood.esprit.test }\n remote { auth = psk }\n children { net { remote_ts = 10.99.3.0/24 } } } }\nsecrets { ike-1 { secret = x } }`;
  const engine = new Ikev2Engine(configFromText(conf), { now: () => Date.now() }, new NodeRng(), nullLogger);
  engine.initiate('flood', parseIp('0.0.0.0').bytes, parseIp(dst).bytes);
  const first = engine.takeActions().find((a) => a.kind === 'send');
  if (first?.kind !== 'send') throw new Error('no IKE_SA_INIT made');
  const template = first.bytes;
  const sock = createSocket('udp4');
  let cookies = 0;
  let full = 0;
  let other = 0;
  sock.on('message', (m) => {
    try {
      const msg = decodeIkeMessage(m);
      const n = msg.payloads.find((p) => p.kind === 'N');
      if (n?.kind === 'N' && n.notifyType === COOKIE) cookies++;
      else if (msg.payloads.some((p) => p.kind === 'KE')) full++;
      else other++;
    } catch {
      other++;
    }
  });
  await new Promise<void>((r) => sock.bind(0, r));
  const perTick = Math.max(1, Math.round(rate / 100));
  let sent = 0;
  while (sent < count) {
    for (let i = 0; i < perTick && sent < count; i++, sent++) {
      const b = Buffer.from(template);
      randomBytes(8).copy(b, 0);
      sock.send(b, 500, dst);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  await new Promise((r) => setTimeout(r, 1000));
  sock.close();
  console.log(JSON.stringify({ sent, cookies, full, other, unanswered: sent - cookies - full - other }));
}

void main();
