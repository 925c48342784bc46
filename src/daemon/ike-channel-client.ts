/**
 * The IKE daemon's end of the IKE channel (docs/ike-channel.md): IKE messages received by
 * ipsecd arrive as frames; messages to send go back as frames with the local endpoint
 * (listener) to send from.
 */
import net from 'node:net';
import {
  encodeIkeChannelFrame,
  type IkeChannelEndpoint,
  type IkeChannelFrame,
  splitIkeChannelStream,
} from '../wire/ike-channel/ike-channel-frame.js';

export class IkeChannelClient {
  private rest: Uint8Array = new Uint8Array(0);
  private handler: ((f: IkeChannelFrame) => void) | undefined;
  private closeHandler: ((e?: Error) => void) | undefined;
  framingErrors = 0;

  private constructor(private readonly sock: net.Socket) {
    sock.on('data', (chunk: Buffer) => this.onData(chunk));
    sock.on('error', () => {});
    sock.on('close', () => this.closeHandler?.());
  }

  static connect(path: string): Promise<IkeChannelClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect(path);
      s.once('connect', () => {
        s.off('error', reject);
        resolve(new IkeChannelClient(s));
      });
      s.once('error', reject);
    });
  }

  onFrame(cb: (f: IkeChannelFrame) => void): void {
    this.handler = cb;
  }

  onClose(cb: (e?: Error) => void): void {
    this.closeHandler = cb;
  }

  send(local: IkeChannelEndpoint, remote: IkeChannelEndpoint, ike: Uint8Array): void {
    this.sock.write(encodeIkeChannelFrame({ local, remote, ike }));
  }

  close(): void {
    this.sock.end();
  }

  private onData(chunk: Buffer): void {
    const buf = this.rest.length === 0 ? new Uint8Array(chunk) : Buffer.concat([this.rest, chunk]);
    try {
      const s = splitIkeChannelStream(buf);
      this.rest = s.rest.slice();
      for (const f of s.frames) this.handler?.(f);
    } catch {
      // a byte stream cannot be resynchronised (docs/ike-channel.md)
      this.framingErrors++;
      this.sock.destroy();
    }
  }
}
