import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Bus } from '#messaging';
import { within, type ServiceMetrics } from './service-metrics.js';
import { stopping } from './shutdown.js';

/** How long readiness waits for each dependency, in milliseconds. */
const READINESS_TIMEOUT_MS = 1_000;
/** Longest a request to the operations listener may take to arrive, in milliseconds. */
const REQUEST_TIMEOUT_MS = 10_000;

/** One thing readiness needs: `probe` resolves (true) when it answers, else it says `failure`. */
export interface ReadinessCheck {
  probe: () => Promise<unknown>;
  /** What the answer says when the probe fails or takes longer than a second, e.g. `unreachable`. */
  failure: string;
}

/** The readiness answer: each check `ok` or its failure word. Names no host, driver, subject or error. */
export interface OpsReadiness {
  status: 'ready' | 'not ready';
  checks: Record<string, string>;
}

export interface OpsServerOptions {
  /** Service or node id, for the log. */
  service: string;
  /** Where to listen; no listener without a port (0: any free port, for tests). */
  host: string;
  port?: number;
  metrics: ServiceMetrics;
  /** What readiness checks, by name (`nats`, `database`, `workers`), each within a second. */
  checks: Record<string, ReadinessCheck>;
}

/** The readiness check of a service's NATS connection: open, and the server answers a ping. */
export function natsCheck(bus: Bus): ReadinessCheck {
  return {
    probe: () => (bus.nc.isClosed() ? Promise.reject(new Error('closed')) : bus.nc.flush()),
    failure: 'unreachable',
  };
}

/** The readiness check of a database: `ping` runs `select 1` or the like. */
export function databaseCheck(ping: () => Promise<unknown>): ReadinessCheck {
  return { probe: ping, failure: 'unreachable' };
}

/** Asks every check at once, each within a second. */
export async function readinessOf(checks: Record<string, ReadinessCheck>): Promise<OpsReadiness> {
  const results = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      const ok = await within(
        check.probe().then((answer) => answer !== false),
        READINESS_TIMEOUT_MS,
      );
      return [name, ok ? 'ok' : check.failure] as const;
    }),
  );
  return {
    status: results.every(([, result]) => result === 'ok') ? 'ready' : 'not ready',
    checks: Object.fromEntries(results),
  };
}

/**
 * The operations listener of a service, on plain `node:http` beside (never on) its public interface:
 * - `GET /healthz`: liveness, 200 while the process answers;
 * - `GET /readyz`: 200 when every check answers within a second, else 503, with each check's result;
 * - `GET /metrics`: the service's metrics in Prometheus text format.
 * Anything else is 404 (405 for a method other than GET or HEAD). Answers are never cached.
 */
export class OpsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Operations');
  private server?: Server;

  constructor(private readonly opts: OpsServerOptions) {}

  /** Where it listens, once started; undefined without a listener. */
  get url(): string | undefined {
    const address = this.server?.address() as AddressInfo | null | undefined;
    if (!address) return undefined;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `http://${host}:${address.port}`;
  }

  /**
   * Starts listening when a port is configured.
   * @throws Error when the port cannot be bound: the service refuses to start rather than run unobserved
   */
  async start(): Promise<void> {
    if (this.opts.port === undefined || this.server) return;
    const server = createServer((req, res) => void this.answer(req, res));
    server.requestTimeout = REQUEST_TIMEOUT_MS;
    server.headersTimeout = REQUEST_TIMEOUT_MS;
    server.listen(this.opts.port, this.opts.host);
    try {
      await once(server, 'listening');
    } catch (err) {
      throw new Error(
        `the operations listener cannot listen on ${this.opts.host}:${this.opts.port}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    this.server = server;
    this.logger.log(`${this.opts.service}: /healthz, /readyz and /metrics on ${this.url}`);
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    const closed = new Promise((resolve) => server.close(resolve));
    server.closeAllConnections();
    await closed;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await stopping('operations listener', () => this.stop());
  }

  private async answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('cache-control', 'no-store');
    res.setHeader('x-content-type-options', 'nosniff');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return send(res, 405, { status: 'method not allowed' });
    }
    const path = new URL(req.url ?? '/', 'http://ops').pathname;
    try {
      switch (path) {
        case '/healthz':
          return send(res, 200, { status: 'ok' });
        case '/readyz': {
          const readiness = await readinessOf(this.opts.checks);
          return send(res, readiness.status === 'ready' ? 200 : 503, readiness);
        }
        case '/metrics': {
          const { contentType, text } = await this.opts.metrics.exposition();
          res.writeHead(200, { 'content-type': contentType });
          res.end(req.method === 'HEAD' ? undefined : text);
          return;
        }
        default:
          return send(res, 404, { status: 'not found' });
      }
    } catch (err) {
      // Only /readyz and /metrics do work that can fail: the path is one of ours, not the caller's text.
      this.logger.error(`${path} failed: ${(err as Error).message}`);
      if (!res.headersSent) send(res, 500, { status: 'error' });
      else res.destroy();
    }
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(res.req.method === 'HEAD' ? undefined : JSON.stringify(body));
}
