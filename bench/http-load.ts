import { Agent, request } from 'node:http';

/** Outcome of an HTTP load run. */
export interface HttpLoadResult {
  /** Responses with the expected status, per second. */
  perSecond: number;
  ok: number;
  /** Responses by unexpected status (or `error`). */
  others: Record<string, number>;
  seconds: number;
}

export interface HttpLoadOptions {
  url: string;
  headers: Record<string, string>;
  /** Makes the body of request `i`. */
  body: (i: number) => string;
  expectStatus: number;
  /** Concurrent requests, each on its own keep-alive connection. */
  connections: number;
  durationMs: number;
}

/**
 * Generates HTTP load in-process: `connections` loops, each sending POSTs back to back over one keep-alive
 * connection, for `durationMs`. Counts the responses with the expected status.
 */
export async function httpLoad(opts: HttpLoadOptions): Promise<HttpLoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: opts.connections });
  const url = new URL(opts.url);
  const others: Record<string, number> = {};
  let ok = 0;
  let i = 0;
  const started = performance.now();
  const deadline = started + opts.durationMs;
  const one = (body: string) =>
    new Promise<number>((resolve) => {
      const req = request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: { ...opts.headers, 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          res.resume();
          res.once('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.once('error', () => resolve(-1));
      req.end(body);
    });
  await Promise.all(
    Array.from({ length: opts.connections }, async () => {
      while (performance.now() < deadline) {
        const status = await one(opts.body(i++));
        if (status === opts.expectStatus) ok++;
        else {
          const key = status === -1 ? 'error' : String(status);
          others[key] = (others[key] ?? 0) + 1;
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return { perSecond: ok / seconds, ok, others, seconds };
}
