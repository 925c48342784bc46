#!/usr/bin/python3
# Generates test/vectors/isakmp-captures.json: the IKEv1 messages of the lab captures
# (../shared/lab/captures, strongSwan 5.9.8 Main Mode and vpnc 0.5.3 Aggressive Mode through
# the lab NAT), each as its UDP payload (the 4-byte non-ESP marker of port 4500 stripped,
# RFC 3948 §2.2) with the field values Wireshark's isakmp dissector (tshark 4.0) gives for
# it -- an implementation independent of esprit's src/wire/isakmp/.
# Run from the worktree: /usr/bin/python3 test/vectors/gen/isakmp-captures.py
import json, os, subprocess

CAPS = os.path.join(os.path.dirname(__file__), '../../../../shared/lab/captures')
FIELDS = ['udp.srcport', 'udp.dstport', 'udp.payload', 'isakmp.ispi', 'isakmp.rspi', 'isakmp.nextpayload',
          'isakmp.exchangetype', 'isakmp.flags', 'isakmp.messageid', 'isakmp.length', 'isakmp.typepayload',
          'isakmp.payloadlength', 'isakmp.sa.doi', 'isakmp.sa.situation', 'isakmp.prop.number',
          'isakmp.prop.protoid', 'isakmp.prop.transforms', 'isakmp.trans.number', 'isakmp.trans.id',
          'isakmp.ike.attr.type', 'isakmp.ike.attr.value', 'isakmp.id.type', 'isakmp.id.protoid', 'isakmp.id.port',
          'isakmp.vid_bytes', 'isakmp.ike.nat_hash', 'isakmp.nonce', 'isakmp.hash']
# (capture, frames, names): the messages of each exchange in order
SETS = [
    ('ikev1-natt.pcap', range(1, 10), ['MM1', 'MM2', 'MM3', 'MM4', 'MM5', 'MM6', 'QM1', 'QM2', 'QM3']),
    ('vpnc-natt.pcap', [1, 2, 3, 4, 5, 10, 11, 12, 19],
     ['AM1', 'AM2', 'AM3', 'TRANSACTION1', 'TRANSACTION2', 'QM1', 'QM2', 'QM3', 'INFO1']),
    ('vpnc-none.pcap', [1, 2], ['AM1', 'AM2']),
    ('vpnc-cisco-udp.pcap', [1], ['AM1']),
]

out = []
for cap, frames, names in SETS:
    args = ['tshark', '-r', os.path.join(CAPS, cap), '-d', 'udp.port==4500,udpencap', '-T', 'fields',
            '-E', 'separator=\t', '-E', 'aggregator=,', '-E', 'occurrence=a']
    for f in FIELDS: args += ['-e', f]
    rows = subprocess.run(args, capture_output=True, text=True, check=True).stdout.splitlines()
    for frame, name in zip(frames, names):
        vals = dict(zip(FIELDS, rows[frame - 1].split('\t')))
        payload = vals.pop('udp.payload')
        if vals['udp.srcport'] == '4500' or vals['udp.dstport'] == '4500':
            assert payload.startswith('00000000'), (cap, frame)
            payload = payload[8:]
        out.append({'capture': cap, 'frame': frame, 'name': name, 'hex': payload, 'tshark': vals})

json.dump({'source': 'test/vectors/gen/isakmp-captures.py: tshark 4.0 -T fields over ../shared/lab/captures '
           '(ikev1-natt.pcap: strongSwan 5.9.8 Main Mode PSK + Quick Mode; vpnc-*.pcap: vpnc 0.5.3 Aggressive '
           'Mode + XAUTH + Mode Config against strongSwan)', 'messages': out},
          open(os.path.join(os.path.dirname(__file__), '../isakmp-captures.json'), 'w'), indent=1)
print(f'{len(out)} messages')
