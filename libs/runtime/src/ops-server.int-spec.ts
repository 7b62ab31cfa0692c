import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connectBus, type Bus } from '#messaging';
import { queryOn } from '#process-kit';
import { createTestSchema, startNatsServer, type TestNatsServer, type TestSchema } from '#testing';
import { databaseCheck, natsCheck, OpsServer } from './ops-server.js';
import { ServiceMetrics } from './service-metrics.js';

/**
 * The operations listener on its own, against a private nats-server and the test PostgreSQL: readiness is
 * bounded by a second per check and names nothing of what it checked, and a port already taken stops the
 * service from starting.
 */
describe('the operations listener', () => {
  let nats: TestNatsServer;
  let bus: Bus;
  let db: TestSchema;
  /** A "database" that accepts connections and never answers. */
  let silent: Server;
  const sockets = new Set<Socket>();
  let silentUrl: string;
  const servers: OpsServer[] = [];

  beforeAll(async () => {
    nats = await startNatsServer();
    bus = await connectBus({ servers: nats.url, name: 'ops-server-test' });
    db = await createTestSchema('ops_server');
    silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    silentUrl = `postgres://postgres@127.0.0.1:${(silent.address() as { port: number }).port}/postgres`;
  });

  afterAll(async () => {
    for (const s of servers) await s.stop();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent?.close(resolve));
    await bus?.close();
    await nats?.dispose();
    await db?.drop();
  });

  async function listener(ping: () => Promise<unknown>, port = 0): Promise<OpsServer> {
    const server = new OpsServer({
      service: 'audit',
      host: '127.0.0.1',
      port,
      metrics: new ServiceMetrics('audit'),
      checks: { nats: natsCheck(bus), database: databaseCheck(ping) },
    });
    await server.start();
    servers.push(server);
    return server;
  }

  it('is ready when NATS answers and the database answers select 1', async () => {
    const ops = await listener(() => db.query('SELECT 1'));
    const res = await fetch(`${ops.url}/readyz`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await res.json()).toEqual({ status: 'ready', checks: { nats: 'ok', database: 'ok' } });
  });

  it('is not ready within about a second when the database does not answer, naming no host or driver', async () => {
    const ops = await listener(() => queryOn(silentUrl)('SELECT 1'));
    const started = Date.now();
    const res = await fetch(`${ops.url}/readyz`);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(res.status).toBe(503);
    const body = await res.text();
    expect(JSON.parse(body)).toEqual({
      status: 'not ready',
      checks: { nats: 'ok', database: 'unreachable' },
    });
    expect(body).not.toMatch(/127\.0\.0\.1|postgres|pg|timeout/i);
  });

  it('answers HEAD without a body, and no path but its own', async () => {
    const ops = await listener(() => db.query('SELECT 1'));
    const head = await fetch(`${ops.url}/metrics`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    expect((await fetch(`${ops.url}/metrics.txt`)).status).toBe(404);
  });

  it('refuses to start on a port already taken, saying which', async () => {
    const taken = await listener(() => db.query('SELECT 1'));
    const port = Number(new URL(taken.url!).port);
    await expect(listener(() => db.query('SELECT 1'), port)).rejects.toThrow(
      `the operations listener cannot listen on 127.0.0.1:${port}: listen EADDRINUSE`,
    );
  });

  it('runs no listener without a port', async () => {
    const none = new OpsServer({
      service: 'router',
      host: '127.0.0.1',
      metrics: new ServiceMetrics('router'),
      checks: {},
    });
    await none.start();
    expect(none.url).toBeUndefined();
  });
});
