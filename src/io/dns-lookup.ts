/**
 * Host name resolution with the system resolver (getaddrinfo through dns.lookup, so /etc/hosts,
 * and /etc/netns/NAME/hosts inside `ip netns exec`, count), every address family.
 */
import { lookup } from 'node:dns/promises';

export type Lookup = (name: string) => Promise<string[]>;

export const systemLookup: Lookup = async (name) => (await lookup(name, { all: true })).map((a) => a.address);
