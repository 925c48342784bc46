import assert from 'node:assert/strict';
import { LAB, type Lab } from '../harness.js';

/**
 * A burst of equal-size UDP datagrams from one socket through the lab's tunnel (client lan →
 * gw protected, port 7000): 1999 of 1200 bytes and one of 333, each carrying its index and a
 * SHA-256-derived body, sent in runs of 100 (python3's socket module, an independent sender
 * and receiver). The receiver counts datagrams that arrive byte for byte and any that do not.
 * Equal sizes and incrementing IPv4 IDs let the gw write them to its TUN as GSO_UDP_L4 runs
 * (tcp-coalescer.ts), which the kernel cuts back into datagrams.
 */
export async function udpBurstArrives(l: Lab): Promise<void> {
  const rx = l.spawn('gw', ['python3', '-c', UDP_RECEIVER, LAB.gw.protected4, '7000']);
  await rx.waitForLine(/^ready/);
  await l.exec('client', ['python3', '-c', UDP_SENDER, LAB.client.lan4, LAB.gw.protected4, '7000']);
  const report = await rx.waitForLine(/^got /, 20_000);
  const [, got, bad] = /^got (\d+) bad (\d+)/.exec(report) ?? [];
  assert.equal(Number(bad), 0, `datagrams whose bytes changed: ${report}`);
  assert.ok(Number(got) >= 1800, `most of the 2000 datagrams arrived: ${report}`);
}

/** argv: address port. Prints "ready", then, 2 s after the last datagram, "got N bad M". */
const UDP_RECEIVER = `
import socket, sys, hashlib
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
s.bind((sys.argv[1], int(sys.argv[2])))
print("ready", flush=True)
s.settimeout(10)
got = bad = 0
seen = set()
while True:
    try:
        d = s.recv(65535)
    except socket.timeout:
        break
    s.settimeout(2)
    i = int.from_bytes(d[:4], "big")
    want = (i.to_bytes(4, "big") + hashlib.sha256(i.to_bytes(4, "big")).digest() * 64)[: 1200 if i < 1999 else 333]
    if d != want or i in seen:
        bad += 1
    else:
        got += 1
        seen.add(i)
print("got %d bad %d" % (got, bad), flush=True)
`;

/** argv: source destination port. 2000 datagrams: 1999 of 1200 bytes, then one of 333. */
const UDP_SENDER = `
import socket, sys, hashlib, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 0))
for i in range(2000):
    d = (i.to_bytes(4, "big") + hashlib.sha256(i.to_bytes(4, "big")).digest() * 64)[: 1200 if i < 1999 else 333]
    s.sendto(d, (sys.argv[2], int(sys.argv[3])))
    if i % 100 == 99:
        time.sleep(0.005)
`;
