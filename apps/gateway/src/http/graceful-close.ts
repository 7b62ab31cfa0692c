import type { FastifyInstance } from 'fastify';
import { beginStopping } from '#runtime';

/**
 * How the gateway's HTTP server closes when the gateway stops: new requests are answered 503 (Fastify's
 * own), the requests under way are answered, for up to `graceMs`, and then every connection still open is
 * closed. Node's own close would wait on those until each client let go of them: a keep-alive connection
 * that became idle after the close began, or one a client opened and never sent a request on (a client's
 * spare), held a stopping gateway for the client's keep-alive time.
 */
export function installGracefulClose(fastify: FastifyInstance, graceMs: number): void {
  let underWay = 0;
  let drained: (() => void) | undefined;
  // On Node's server, not Fastify's hooks: a response's `close` comes for every request, answered, hijacked
  // (a live inbox) or abandoned by its client alike.
  fastify.server.on('request', (_req, res) => {
    underWay++;
    res.once('close', () => {
      underWay--;
      if (underWay === 0) drained?.();
    });
  });
  fastify.addHook('preClose', async () => {
    const done = beginStopping('HTTP server: requests under way');
    try {
      if (underWay > 0)
        await new Promise<void>((resolve) => {
          drained = resolve;
          setTimeout(resolve, graceMs).unref();
        });
      fastify.server.closeAllConnections();
    } finally {
      done();
    }
  });
}
