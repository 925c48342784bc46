/**
 * Make the lab's NAT drop IP fragments: a rule in the nat namespace, ahead of conntrack's
 * defragmentation (priority -500 < -400), dropping every IPv4 packet with MF set or a fragment
 * offset (frag-off & 0x3fff) and every IPv6 packet with a Fragment header; and its counters.
 */
import assert from 'node:assert/strict';
import type { Lab } from '../harness.js';

export async function dropIpFragments(l: Lab): Promise<void> {
  const rules = `table inet fragdrop {
  chain prerouting {
    type filter hook prerouting priority -500; policy accept;
    ip frag-off & 0x3fff != 0 counter drop comment "IPv4 fragment (MF or offset)"
    exthdr frag exists counter drop comment "IPv6 fragment"
  }
}
`;
  const r = await l.exec('nat', ['sh', '-c', `printf '%s' '${rules}' | nft -f -`], { allowFail: true });
  assert.equal(r.code, 0, `nft: ${r.stderr}`);
}

/** Packets the NAT dropped as IP fragments so far (both counters). */
export async function fragmentsDropped(l: Lab): Promise<number> {
  const r = await l.exec('nat', ['nft', 'list', 'table', 'inet', 'fragdrop']);
  return [...r.stdout.matchAll(/counter packets (\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
}
