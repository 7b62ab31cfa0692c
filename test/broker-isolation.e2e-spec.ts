import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asJson, uuidv7, validRecallEnvelope, validRouteReportEnvelope } from '#contracts';
import { loadDirectory } from '#directory';
import { brokerUsers, renderNatsServerConfig } from '#messaging';
import {
  createTestSchema,
  freePort,
  startService,
  waitFor,
  waitForPort,
  type ServiceProcess,
  type TestSchema,
} from '#testing';
import { auditTrail, exchangeEnv, requireBuild, submit } from './support.js';

/**
 * The exchange running on a broker that enforces the generated permissions: every service and node
 * connects with its own NKey and may touch only its own subjects, and the whole path still works —
 * submission, routing, reception, audit, recall with erasure receipts, and checkpoint witnesses.
 */
const TOKEN = 'emlo-ne-isolation-e2e-token-0123456789';

describe('the exchange on a broker with per-node credentials', () => {
  let dir: string;
  let nats: ChildProcess;
  let db: TestSchema;
  let gatewayUrl: string;
  let audit: ReturnType<typeof auditTrail>;
  const services: ServiceProcess[] = [];

  beforeAll(async () => {
    requireBuild();
    dir = mkdtempSync(join(tmpdir(), 'msx-broker-e2e-'));
    const port = await freePort();
    const users = brokerUsers(loadDirectory('deploy/directory.yaml').nodeIds());
    const seeds = join(dir, 'seeds');
    mkdirSync(seeds);
    for (const u of users) writeFileSync(join(seeds, `${u.principal}.nk`), u.seed, { mode: 0o600 });
    writeFileSync(
      join(dir, 'nats.conf'),
      renderNatsServerConfig({ host: '127.0.0.1', port, storeDir: join(dir, 'js'), users }),
    );
    nats = spawn(process.env.NATS_SERVER_BIN ?? 'nats-server', ['-c', join(dir, 'nats.conf')], {
      stdio: 'ignore',
    });
    await waitForPort(port);

    db = await createTestSchema('isolation');
    audit = auditTrail(db);
    const gatewayPort = await freePort();
    gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    const shared = exchangeEnv({
      natsUrl: `nats://127.0.0.1:${port}`,
      databaseUrl: db.url,
      schema: db.schema,
      gatewayPort,
      tokens: { 'emlo-ne': TOKEN },
    });
    const env = (principal: string) => ({
      ...shared,
      MSX_NATS_NKEY_SEED_FILE: join(seeds, `${principal}.nk`),
      MSX_AUDIT_CHECKPOINT_INTERVAL_MS: '1000',
    });
    services.push(
      startService('router', env('msx-router')),
      startService('audit', env('msx-audit')),
      startService('gateway', env('msx-gateway')),
      startService('contact-point', { ...env('cp-it'), MSX_NODE_ID: 'cp-it' }, 'cp-it'),
      startService(
        'jot-mare',
        { ...env('jot-mare'), MSX_NODE_ID: 'jot-mare', MSX_WITNESS_DIR: join(dir, 'witness') },
        'jot-mare',
      ),
      startService('liaison-officer', { ...env('emlo-ne'), MSX_NODE_ID: 'emlo-ne' }, 'emlo-ne'),
    );
    await Promise.all(services.map((s) => s.waitForLine(/ ready/, 60_000)));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(services.map((s) => s.kill()));
    nats?.kill('SIGTERM');
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('routes, delivers, audits, recalls and witnesses with every party limited to its own subjects', async () => {
    const res = await submit(
      gatewayUrl,
      TOKEN,
      asJson(validRouteReportEnvelope({ id: uuidv7(), createdAt: new Date().toISOString() })),
    );
    expect(res.status).toBe(202);
    const id = res.json.id as string;
    const received = await audit.rowsOf(id, (r) => r.operation === 'received', 2);
    expect(received.map((r) => r.actor_node).sort()).toEqual(['cp-it', 'jot-mare']);
    await services.find((s) => s.name === 'emlo-ne')!.waitForLine(new RegExp(`report ${id}: delivered to `));

    const recall = await submit(
      gatewayUrl,
      TOKEN,
      asJson(
        validRecallEnvelope({
          id: uuidv7(),
          createdAt: new Date().toISOString(),
          threadId: id,
          inReplyTo: id,
          recall: { messageId: id, reason: 'RECALL_REASON_WITHDRAWN', explanation: 'withdrawn' },
        }),
      ),
    );
    expect(recall.status).toBe(202);
    const erased = await audit.rowsOf(id, (r) => r.operation === 'erased', 2);
    expect(erased.map((r) => r.actor_node).sort()).toEqual(['cp-it', 'jot-mare']);
    await services
      .find((s) => s.name === 'emlo-ne')!
      .waitForLine(new RegExp(`erasure of ${id} confirmed by cp-it`));

    // JOT MARE keeps the audit service's signed checkpoints through its own consumer.
    const kept = await waitFor(
      async () => {
        const files = existsSync(join(dir, 'witness')) ? readdirSync(join(dir, 'witness')) : [];
        const lines = files.flatMap((f) =>
          readFileSync(join(dir, 'witness', f), 'utf8')
            .split('\n')
            .filter(Boolean),
        );
        return lines.length > 0 ? lines : undefined;
      },
      'a checkpoint kept by the witness',
      30_000,
    );
    expect(kept.length).toBeGreaterThan(0);
    // No service was refused anything it needs: the broker would have reported a permissions violation.
    for (const s of services) expect(s.lines.filter((l) => /permissions violation/i.test(l))).toEqual([]);
  });
});
