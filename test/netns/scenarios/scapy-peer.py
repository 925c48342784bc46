#!/usr/bin/python3
"""scapy side of test/netns/scenarios/scapy-interop.test.ts: a live RFC 3948 peer.

Runs in the lab's client namespace (behind the NAT) and holds the same SA pair as the esprit
ipsecd on the gw. ESP is built and opened by scapy (scapy.layers.ipsec SecurityAssociation,
AES-GCM with a 16-byte ICV, RFC 4106), carried in UDP from port 4500 (RFC 3948 §2.1: the
UDP payload is the ESP packet, no marker).

  scapy-peer.py '{"local": A, "gw": G, "innerSrc": S, "innerDst": D, "count": N,
                  "out": {"spi": X, "key": HEX}, "in": {"spi": Y, "key": HEX}}'

Prints one JSON object per line:
  {"ready": true}
  {"sent": SEQ}                                    an encrypted ICMP echo request went out
  {"reply": {"src", "dst", "type", "id", "seq", "data"}}   a decrypted packet from the gw
  {"keepalive": true}                              a NAT-keepalive (0xFF) arrived
  {"error": TEXT}                                  a datagram scapy could not decrypt
  {"done": {"replies": N, "afterBad": M}}
After the N echoes it sends one tampered packet (last ICV byte flipped) and replays echo #1;
afterBad counts replies received in the second after those two (the gw must drop both).
"""
import json, socket, sys, time
from scapy.all import ICMP, IP, Raw, raw
from scapy.layers.ipsec import ESP, SecurityAssociation

cfg = json.loads(sys.argv[1])


def out(obj):
    print(json.dumps(obj), flush=True)


def sa(d, src, dst):
    return SecurityAssociation(ESP, spi=d['spi'], crypt_algo='AES-GCM', crypt_key=bytes.fromhex(d['key']),
                               crypt_icv_size=16, tunnel_header=IP(src=src, dst=dst))


sa_out = sa(cfg['out'], cfg['local'], cfg['gw'])
sa_in = sa(cfg['in'], cfg['gw'], cfg['local'])
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(('0.0.0.0', 4500))
sock.settimeout(0.2)
out({'ready': True})


def echo(seq):
    inner = IP(src=cfg['innerSrc'], dst=cfg['innerDst'], ttl=64) / ICMP(type=8, id=0x4242, seq=seq) / Raw(b'esprit-scapy-%d' % seq)
    # tunnel mode: scapy returns IP(tunnel header) / ESP; the UDP payload is the ESP part
    return raw(sa_out.encrypt(inner, seq_num=seq)[ESP])


def receive(until):
    got = 0
    while time.time() < until:
        try:
            data, _ = sock.recvfrom(65535)
        except socket.timeout:
            continue
        if data == b'\xff':
            out({'keepalive': True})
            continue
        try:
            pkt = sa_in.decrypt(IP(raw(IP(src=cfg['gw'], dst=cfg['local'], proto=50) / Raw(data))))
            icmp = pkt[ICMP]
            out({'reply': {'src': pkt[IP].src, 'dst': pkt[IP].dst, 'type': icmp.type, 'id': icmp.id,
                           'seq': icmp.seq, 'data': bytes(icmp.payload).decode('latin-1')}})
            got += 1
        except Exception as ex:
            out({'error': '%s: %s' % (type(ex).__name__, ex)})
    return got


replies = 0
first = None
for seq in range(1, cfg['count'] + 1):
    p = echo(seq)
    first = first or p
    sock.sendto(p, (cfg['gw'], 4500))
    out({'sent': seq})
    replies += receive(time.time() + 1.0)

bad = bytearray(echo(cfg['count'] + 1))
bad[-1] ^= 0x01  # RFC 4303 §3.4.4: the ICV check must fail
sock.sendto(bytes(bad), (cfg['gw'], 4500))
sock.sendto(first, (cfg['gw'], 4500))  # RFC 4303 §3.4.3: sequence number 1 again
after_bad = receive(time.time() + 1.0)
out({'done': {'replies': replies, 'afterBad': after_bad}})
