/**
 * decryptCapture: summary counting, SA lookup by (SPI, destination) with the SPI-only
 * fallback, replay/forgery drops with the real ESP engine on scapy-made packets, and the
 * transport-mode NAT-OA checksum fix-up (RFC 3948 §3.1.2) on scapy-made packets.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSaEntry } from '../config/sa-file.js';
import { nodeBackend } from '../crypto/node-backend.js';
import { NodeRng } from '../crypto/random.js';
import { EspSa } from '../esp/esp-sa.js';
import type { DropReason, OpenResult } from '../esp/types.js';
import type { SaConfig } from '../sad/sa-config.js';
import { fromHex, toHex } from '../util/hex.js';
import { tcpChecksum, udpChecksum } from '../wire/ip/checksum.js';
import { decodeIpv4 } from '../wire/ip/ipv4.js';
import type { CapturePacket } from '../wire/pcap/capture-packet.js';
import { decryptCapture, type InboundSa } from './decrypt.js';

/** Hex with per-line annotations: on each line, what follows 3+ spaces is a comment. */
const hex = (s: string): Uint8Array =>
  fromHex(
    s
      .split('\n')
      .map((l) => l.trim().split(/\s{3,}/)[0] ?? '')
      .join('')
      .replace(/\s+/g, ''),
  );
const LINKTYPE_ETHERNET = 1;
const LINKTYPE_RAW = 101;

function capture(frames: readonly Uint8Array[], linkType = LINKTYPE_RAW): CapturePacket[] {
  return frames.map((data, index) => ({
    index,
    interfaceId: 0,
    linkType,
    timestampNs: BigInt(index) * 1000n,
    origLen: data.length,
    data,
  }));
}

function sa(o: Record<string, unknown>): SaConfig {
  return parseSaEntry(
    {
      src: '192.0.2.1',
      dst: '198.51.100.7',
      mode: 'tunnel',
      encryption: { algorithm: 'aes-gcm-16', key: '00'.repeat(20) },
      ...o,
    },
    'sa',
  );
}

// ---- stub engine: the byte after SPI|Seq says what open() returns --------------------------
// 00: ok, next header 4, payload = the rest (an inner IPv4 packet); 01: replay; 02: icv;
// 03: ok with next header 6 in a tunnel SA (bad-next-header)
const INNER = hex('45000014 0000 0000 4001 0000 0a010001 0a020001'); // 20-byte IPv4 header, ICMP, no payload
const DROP_BY_CODE: Record<number, DropReason> = { 1: 'replay', 2: 'icv' };

function stubEngines(log: number[]): (cfg: SaConfig) => InboundSa {
  let n = 0;
  return () => {
    const id = n++;
    return {
      open(esp: Uint8Array): OpenResult {
        log.push(id);
        const code = esp[8] ?? 0xff;
        const reason = DROP_BY_CODE[code];
        if (reason) return { ok: false, reason };
        return {
          ok: true,
          nextHeader: code === 3 ? 6 : 4,
          payload: esp.subarray(9),
          seqHi: 0,
          seqLo: 1,
          seq: 1n,
          lifetime: undefined,
        };
      },
    };
  };
}

/** IPv4, proto 50, 192.0.2.1 -> dst, then ESP: SPI, Seq 1, stub code, INNER. Header checksum unset. */
function rawEsp(spi: number, dstHex: string, code: number): Uint8Array {
  const esp = hex(
    `${spi.toString(16).padStart(8, '0')} 00000001 ${code.toString(16).padStart(2, '0')} ${toHex(INNER)}`,
  );
  const total = (20 + esp.length).toString(16).padStart(4, '0');
  return hex(`4500 ${total} 0001 0000 4032 0000 c0000201 ${dstHex} ${toHex(esp)}`);
}
const DST_A = 'c6336407'; // 198.51.100.7
const DST_B = 'c6336408'; // 198.51.100.8
const DST_C = 'c6336409'; // 198.51.100.9

test('summary: decrypted, dropped by reason per SA, unmatched SPI, ignored kinds', () => {
  const sas = [sa({ spi: 0x1001 }), sa({ spi: 0x1002, dst: '198.51.100.8' })];
  const arp = hex('ffffffffffff 020000000001 0806 0001 0800 0604 0001 020000000001 0a010001 000000000000 0a010002');
  const frames = [
    rawEsp(0x1001, DST_A, 0), // sas[0] decrypted
    rawEsp(0x1001, DST_A, 1), // sas[0] replay
    rawEsp(0x1001, DST_A, 2), // sas[0] icv
    rawEsp(0x1001, DST_A, 2), // sas[0] icv
    rawEsp(0x1001, DST_A, 3), // sas[0] bad-next-header (tunnel SA, NH 6)
    rawEsp(0x1002, DST_B, 0), // sas[1] decrypted
    rawEsp(0x9999, DST_A, 0), // unmatched SPI
    hex('4500 001d 0000 0000 4011 0000 c0000201 c6336407 1194 1194 0009 0000 ff'), // keepalive
    hex('4500 0024 0000 2000 4032 0000 c0000201 c6336407 00001001 00000001 0000000000000000'), // fragment
    hex('4500 0024 0000 0000 4011 0000 c0000201 c6336435 14e9 0035 0010 0000 1234010000000000'), // DNS: no-esp
    hex('4500 00ff 0000'), // malformed: truncated IPv4
    hex('5500 0024'), // version 5: LINKTYPE_RAW says not IP
  ];
  const log: number[] = [];
  const raw = decryptCapture(capture(frames), sas, stubEngines(log));
  const eth = decryptCapture(capture([arp], LINKTYPE_ETHERNET), sas, stubEngines([]));
  assert.deepEqual(raw.summary, {
    packets: 12,
    decrypted: 2,
    unmatched: 1,
    ignored: { keepalive: 1, fragment: 1, 'no-esp': 1, malformed: 1, 'non-ip': 1 },
    sas: [
      {
        index: 0,
        spi: 0x1001,
        dst: '198.51.100.7',
        decrypted: 1,
        dropped: { replay: 1, icv: 2, 'bad-next-header': 1 },
      },
      { index: 1, spi: 0x1002, dst: '198.51.100.8', decrypted: 1, dropped: {} },
    ],
  });
  assert.deepEqual(log, [0, 0, 0, 0, 0, 1]);
  // tunnel mode writes the inner packet, with the capture's timestamps
  assert.deepEqual(
    raw.records.map((r) => [r.timestampNs, toHex(r.data)]),
    [
      [0n, toHex(INNER)],
      [5000n, toHex(INNER)],
    ],
  );
  assert.deepEqual(eth.summary.ignored, { 'non-ip': 1 });
  assert.equal(eth.records.length, 0);
});

test('SA lookup: (SPI, destination) first; SPI alone only when exactly one SA has it', () => {
  // sas[0], sas[1]: same SPI, different destinations; sas[2]: a unique SPI
  const sas = [sa({ spi: 0x2001 }), sa({ spi: 0x2001, dst: '198.51.100.8' }), sa({ spi: 0x3001 })];
  const log: number[] = [];
  const r = decryptCapture(
    capture([
      rawEsp(0x2001, DST_B, 0), // exact: sas[1]
      rawEsp(0x2001, DST_A, 0), // exact: sas[0]
      rawEsp(0x2001, DST_C, 0), // SPI shared by two SAs, destination matches neither: ambiguous
      rawEsp(0x3001, DST_C, 0), // destination rewritten by a NAT, SPI unique: sas[2]
    ]),
    sas,
    stubEngines(log),
  );
  assert.deepEqual(log, [1, 0, 2]);
  assert.equal(r.summary.unmatched, 1);
  assert.deepEqual(
    r.summary.sas.map((s) => s.decrypted),
    [1, 1, 1],
  );
});

test('the engine gets a copy: the capture bytes stay as read', () => {
  const frame = rawEsp(0x1001, DST_A, 0);
  const before = toHex(frame);
  decryptCapture(capture([frame]), [sa({ spi: 0x1001 })], () => ({
    open(esp) {
      esp.fill(0xee);
      return { ok: false, reason: 'icv' };
    },
  }));
  assert.equal(toHex(frame), before);
});

// ---- real engine on packets made by python3-scapy 2.5.0 ---------------------------------
// sa = SecurityAssociation(ESP, spi=0x2001, crypt_algo='AES-GCM', crypt_key=bytes(range(16)) +
//   bytes.fromhex('cafebabe'), crypt_icv_size=16, tunnel_header=IP(src='192.0.2.1', dst='198.51.100.7', id=0, ttl=64))
// inner_i = IP(src='10.1.0.1', dst='10.2.0.1', id=i, ttl=64)/ICMP(id=0x77, seq=i)/Raw(b'esp%d' % i)
// esp_i = sa.encrypt(inner_i, seq_num=i, iv=bytes([i])*8)
const GCM = {
  inner1: '4500002000010000400166d80a0100010a020001080021e30077000165737031',
  esp1: '450000580000000040328e38c0000201c6336407000020010000000101010101010101016523007afedd68065103d22463574a41a5e73349507dce691397f2ae581d88cba29a921529f0fc552fac13d96c687faff946d4b4',
  inner2: '4500002000020000400166d70a0100010a020001080021e10077000265737032',
  esp2: '450000580000000040328e38c0000201c63364070000200100000002020202020202020225a964153741a17a9a6e79ea11fd17c1d1b2ae028ebfe817b72f8b764816f772c0c19cd1c9704cf31177fc31dff1be7ee84eb3bb',
};

const rng = new NodeRng();
const openWith = (cfg: SaConfig): InboundSa => new EspSa(cfg, 'in', { backend: nodeBackend, rng });

test('real engine: replayed and forged packets are dropped, counted and not written', () => {
  const cfg = sa({
    spi: '0x2001',
    encryption: { algorithm: 'aes-gcm-16', key: '000102030405060708090a0b0c0d0e0fcafebabe' },
    replayWindow: 64,
  });
  const forged = fromHex(GCM.esp2);
  forged[forged.length - 20] = (forged[forged.length - 20] as number) ^ 0x01; // one ciphertext bit
  const r = decryptCapture(
    capture([fromHex(GCM.esp1), fromHex(GCM.esp1), forged, fromHex(GCM.esp2), fromHex(GCM.esp2)]),
    [cfg],
    openWith,
  );
  assert.deepEqual(r.summary.sas[0], {
    index: 0,
    spi: 0x2001,
    dst: '198.51.100.7',
    decrypted: 2,
    dropped: { replay: 2, icv: 1 },
  });
  assert.deepEqual(
    r.records.map((x) => toHex(x.data)),
    [GCM.inner1, GCM.inner2],
  );
  // the wrong key: every packet fails the ICV, nothing is written
  const wrong = sa({ spi: '0x2001', encryption: { algorithm: 'aes-gcm-16', key: `${'11'.repeat(16)}cafebabe` } });
  const w = decryptCapture(capture([fromHex(GCM.esp1), fromHex(GCM.esp2)]), [wrong], openWith);
  assert.deepEqual(w.summary.sas[0]?.dropped, { icv: 2 });
  assert.equal(w.records.length, 0);
});

// ---- transport mode + NAT-OA (RFC 3948 §3.1.2, RFC 3947 §5.2) ------------------------------
// The peer 10.1.2.3 (behind a NAT that maps it to 203.0.113.7) sends transport-mode ESP in
// UDP 4500. Its TCP/UDP checksum covers the ORIGINAL addresses; the NAT rewrote only the outer
// IP header. Made with python3-scapy 2.5.0:
//   sa = SecurityAssociation(ESP, spi=0x3001, crypt_algo='NULL', auth_algo='HMAC-SHA1-96',
//          auth_key=bytes(range(0x40, 0x54)), nat_t_header=UDP(sport=4500, dport=4500))
//   orig = IP(src='10.1.2.3', dst='198.51.100.9', id=0x4242, ttl=63)/TCP(sport=40000, dport=80,
//          seq=1, flags='S', window=65535)/Raw(b'hello')                  # TCP checksum 9939
//   esp  = sa.encrypt(IP(raw(orig)), seq_num=1); UDP length fixed; IP src set to 203.0.113.7,
//          IP checksum recomputed (what the NAT does)
//   want = IP(src='203.0.113.7', dst='198.51.100.9', id=0x4242, ttl=63)/TCP(...same...)  # 6935
// UDP case: both addresses NATed: 10.1.2.3 -> 203.0.113.7 (NAT-OAi) and the peer sent to
// 192.0.2.1 (NAT-OAr, our public address) which reaches us as 192.168.1.9:
//   orig = IP(src='10.1.2.3', dst='192.0.2.1', id=0x4343, ttl=63)/UDP(sport=1234, dport=53)/
//          Raw(b'esprit-udp!')                                               # UDP checksum 3a7c
//   want = IP(src='203.0.113.7', dst='192.168.1.9', id=0x4343, ttl=63)/UDP(...same...)  # 0ac8
const NATOA = {
  tcpEsp: hex(`
    4500 004c 4242 0000 3f11 d31a cb007107 c6336409   outer IPv4 203.0.113.7 -> 198.51.100.9, UDP
    1194 1194 0038 0000                               UDP 4500 -> 4500, checksum 0
    00003001 00000001                                 ESP SPI 0x3001, Seq 1 (NULL encryption)
    9c40 0050 00000001 00000000 5002 ffff 9939 0000   TCP, checksum 9939 (over 10.1.2.3 -> 198.51.100.9)
    68656c6c6f                                        "hello"
    01 01 06                                          padding 01, pad length 1, next header 6
    b1fe94e21bb003f0fb11fd52                          ICV HMAC-SHA1-96`),
  tcpWant: hex(`
    4500 002d 4242 0000 3f06 d344 cb007107 c6336409   IPv4 203.0.113.7 -> 198.51.100.9, TCP
    9c40 0050 00000001 00000000 5002 ffff 6935 0000   TCP, checksum 6935 (over the received addresses)
    68656c6c6f`),
  udpEsp: hex(`
    4500 0048 4343 0000 3f11 3aa9 cb007107 c0a80109   outer IPv4 203.0.113.7 -> 192.168.1.9, UDP
    1194 1194 0034 0000                               UDP 4500 -> 4500
    00003001 00000002                                 ESP SPI 0x3001, Seq 2
    04d2 0035 0013 3a7c                               UDP 1234 -> 53, checksum 3a7c (over 10.1.2.3 -> 192.0.2.1)
    6573707269742d75647021                            "esprit-udp!"
    01 02 03 03 11                                    padding 01 02 03, pad length 3, next header 17
    8f54add8656be8ab60bafa89                          ICV`),
  udpWant: hex(`
    4500 0027 4343 0000 3f11 3aca cb007107 c0a80109   IPv4 203.0.113.7 -> 192.168.1.9, UDP
    04d2 0035 0013 0ac8                               checksum 0ac8 (over the received addresses)
    6573707269742d75647021`),
};

function natOaSa(natOa: Record<string, string> | undefined, dst: string): SaConfig {
  return parseSaEntry(
    {
      spi: '0x3001',
      src: '203.0.113.7',
      dst,
      mode: 'transport',
      encryption: { algorithm: 'null' },
      integrity: { algorithm: 'hmac-sha1-96', key: '404142434445464748494a4b4c4d4e4f50515253' },
      encapsulation: { type: 'rfc3948', sport: 4500, dport: 4500 },
      ...(natOa ? { natOa } : {}),
    },
    'sa',
  );
}

test('NAT-OA, TCP, source NATed: the rebuilt packet keeps the received addresses and a checksum valid for them', () => {
  const cfg = natOaSa({ src: '10.1.2.3' }, '198.51.100.9');
  const r = decryptCapture(capture([NATOA.tcpEsp]), [cfg], openWith);
  assert.equal(r.summary.decrypted, 1, JSON.stringify(r.summary));
  const out = r.records[0]?.data ?? new Uint8Array(0);
  assert.equal(toHex(out), toHex(NATOA.tcpWant));
  const ip = decodeIpv4(out);
  assert.equal(ip.checksumOk, true);
  assert.equal(tcpChecksum(ip.src, ip.dst, ip.payload), 0x6935);
  // and it is not the checksum over the original (NAT-OA) addresses
  assert.notEqual(tcpChecksum(fromHex('0a010203'), ip.dst, ip.payload), 0x6935);
});

test('NAT-OA, UDP, source and destination NATed (NAT-OAi and NAT-OAr)', () => {
  const cfg = natOaSa({ src: '10.1.2.3', dst: '192.0.2.1' }, '192.168.1.9');
  const r = decryptCapture(capture([NATOA.udpEsp]), [cfg], openWith);
  assert.equal(r.summary.decrypted, 1, JSON.stringify(r.summary));
  const out = r.records[0]?.data ?? new Uint8Array(0);
  assert.equal(toHex(out), toHex(NATOA.udpWant));
  const ip = decodeIpv4(out);
  assert.equal(udpChecksum(ip.src, ip.dst, ip.payload), 0x0ac8);
});

test('without natOa the checksum is left as sent (valid only for the original addresses)', () => {
  const r = decryptCapture(capture([NATOA.tcpEsp]), [natOaSa(undefined, '198.51.100.9')], openWith);
  const out = r.records[0]?.data ?? new Uint8Array(0);
  const ip = decodeIpv4(out);
  assert.equal(toHex(ip.payload.subarray(16, 18)), '9939');
  assert.equal(tcpChecksum(fromHex('0a010203'), ip.dst, ip.payload), 0x9939);
});
