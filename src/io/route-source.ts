/**
 * The source address the kernel would use towards a destination (a connected UDP socket's
 * local address; nothing is sent). Node cannot read a datagram's destination address
 * (IP_PKTINFO), so the IKE daemon uses this as "our address" for NAT detection (RFC 7296
 * §2.23) on wildcard listeners.
 */
import dgram from 'node:dgram';

export function routeSource(remote: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = dgram.createSocket(remote.includes(':') ? 'udp6' : 'udp4');
    s.on('error', () => {
      s.close();
      resolve(undefined);
    });
    s.connect(9, remote, () => {
      try {
        resolve(s.address().address);
      } catch {
        resolve(undefined);
      } finally {
        s.close();
      }
    });
  });
}

/**
 * Whether `local` is still an address of this host from which the kernel can route towards
 * `remote`: a UDP socket bound to it connects (nothing is sent). Binding fails once the
 * address is gone (EADDRNOTAVAIL), connecting when no route is left (ENETUNREACH).
 */
export function routesFrom(local: string, remote: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = dgram.createSocket(remote.includes(':') ? 'udp6' : 'udp4');
    const done = (ok: boolean): void => {
      s.close();
      resolve(ok);
    };
    s.on('error', () => done(false));
    s.bind({ address: local, port: 0, exclusive: true }, () => {
      s.connect(9, remote, () => done(true));
    });
  });
}
