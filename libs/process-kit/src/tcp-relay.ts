import { createServer, connect, type Server, type Socket } from 'node:net';
import { freePort } from './free-port.js';

/**
 * A TCP relay on loopback that a test can cut and restore, standing for a link that fails, or move to another
 * server, standing for a service address (a virtual IP, a DNS name) that an operator moves after a failover.
 */
export interface TcpRelay {
  port: number;
  /**
   * Forwards new connections to `127.0.0.1:<targetPort>` from now on and ends those open, as moving a virtual
   * IP does: the connections to the old server end.
   */
  moveTo(targetPort: number): void;
  /** Drops every connection and refuses new ones, as a cut line would. */
  cut(): Promise<void>;
  /** Accepts connections again on the same port. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

/** Starts a relay from a free loopback port to `127.0.0.1:<targetPort>`. */
export async function startTcpRelay(targetPort: number): Promise<TcpRelay> {
  const port = await freePort();
  let target = targetPort;
  const sockets = new Set<Socket>();
  const endAll = () => {
    for (const socket of sockets) socket.destroy();
    sockets.clear();
  };
  let server: Server | undefined;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = createServer((inbound) => {
        const outbound = connect(target, '127.0.0.1');
        for (const s of [inbound, outbound]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => s.destroy());
        }
        inbound.pipe(outbound).pipe(inbound);
        inbound.on('close', () => outbound.destroy());
        outbound.on('close', () => inbound.destroy());
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
  const cut = async () => {
    const s = server;
    server = undefined;
    endAll();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  await listen();
  return {
    port,
    moveTo: (next) => {
      target = next;
      endAll();
    },
    cut,
    restore: () => (server ? Promise.resolve() : listen()),
    close: cut,
  };
}
