import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestMicroservice } from '@nestjs/common';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { ConsumerMessages } from '@nats-io/jetstream';
import type { DataSource } from 'typeorm';
import pg from 'pg';
import { AuditOperation, HandlingCode, nameBasedId, newAuditEvent, type ChainStatus } from '#contracts';
import { loadConfig, databaseSpec, logSpec, natsSpec } from '#config';
import { AuditRepository, EXPORT_COLUMNS, openAuditStore } from '#audit-store';
import {
  connectBus,
  Durables,
  ensureConsumer,
  publishAuditEvent,
  Streams,
  witnessConsumer,
  type Bus,
} from '#messaging';
import { CredentialStore, defaultCredentialSchema } from '#identity';
import { createTestSchema, startNatsServer, waitFor, type TestNatsServer, type TestSchema } from '#testing';
import { checkpointSpec } from '../apps/audit/src/audit.config.js';
import { AuditModule } from '../apps/audit/src/audit.module.js';
import { loadGatewayConfig } from '../apps/gateway/src/gateway.config.js';
import { GatewayModule } from '../apps/gateway/src/gateway.module.js';

const NODE_TOKEN = 'emlo-ne-test-token-0123456789abcdef';
const AUDITOR = 'edps.auditor-1';
const AUDITOR_TOKEN = 'edps-auditor-test-token-0123456789abcdef';
const JUSTIFICATION = 'DPO review 2026/31 of the trail';

interface TrailRow {
  seq: string;
  actor_person: string | null;
  justification: string | null;
  detail: Record<string, unknown>;
}

/**
 * Auditors read the chain's verification status and export a period of the trail over HTTP: the gateway asks
 * the audit service over NATS request/reply, the audit service verifies and reads PostgreSQL. Both run in this
 * process, on a private nats-server and an own schema; a witness (`jot-mare`) takes the checkpoints through its
 * own consumer, another (`cp-it`) has a consumer but takes nothing.
 */
describe('auditors read the chain status and export the trail through the gateway', () => {
  let nats: TestNatsServer;
  let db: TestSchema;
  let bus: Bus;
  let auditDs: DataSource;
  let credentials: CredentialStore;
  let audit: INestMicroservice;
  let gateway: NestFastifyApplication;
  let base: string;
  let keyDir: string;
  let witness: ConsumerMessages;
  let officerToken: string;
  let published = 0;

  /** Publishes audit events as the router would, each on its own. */
  const record = async (label: string, n: number): Promise<string[]> => {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const eventId = nameBasedId('chain-export', label, String(i));
      ids.push(eventId);
      published++;
      await publishAuditEvent(
        bus.js,
        'msx-router',
        newAuditEvent({
          eventId,
          operation: AuditOperation.DELIVERED,
          actorNode: 'emlo-ne',
          actorPerson: 'emlo-ne.officer-17',
          counterpartNode: 'cp-it',
          messageId: nameBasedId('chain-export-message', label),
          messageType: 'routeReport',
          handlingCode: HandlingCode.H1,
          detailJson: JSON.stringify({ note: `${label}, "quoted", with a comma`, i }),
        }),
      );
    }
    await waitFor(async () => {
      const [found] = await db.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM "${db.schema}".audit_entry WHERE event_id = ANY($1::uuid[])`,
        [ids],
      );
      return Number(found.n) === n ? true : undefined;
    }, `the ${label} events recorded`);
    return ids;
  };

  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${base}${path}`, { headers });
  const asAuditor = (path: string, justification = JUSTIFICATION) =>
    get(path, { authorization: `Bearer ${AUDITOR_TOKEN}`, 'x-msx-justification': justification });
  const chain = async () => {
    const res = await asAuditor('/v1/audit/chain');
    expect(res.status).toBe(200);
    return (await res.json()) as ChainStatus;
  };
  const consultations = (query: string) =>
    db.query<TrailRow>(
      `SELECT seq::text, actor_person, justification, detail FROM "${db.schema}".audit_entry
        WHERE operation = 'consulted' AND detail->>'query' = $1 ORDER BY seq`,
      [query],
    );
  /** Waits until nothing more is being recorded: the last seq stays the same for a while. */
  const quiet = async () => {
    const last = async () =>
      (await db.query<{ s: string | null }>(`SELECT max(seq)::text AS s FROM "${db.schema}".audit_entry`))[0]
        .s;
    await waitFor(async () => {
      const before = await last();
      await new Promise((r) => setTimeout(r, 300));
      return before === (await last()) ? true : undefined;
    }, 'the trail at rest');
  };

  beforeAll(async () => {
    nats = await startNatsServer();
    db = await createTestSchema('chain_export');
    bus = await connectBus({ servers: nats.url, name: 'chain-export-test' });
    keyDir = mkdtempSync(join(tmpdir(), 'msx-chain-export-'));
    const signingKeyFile = join(keyDir, 'audit-signing-key.pem');
    writeFileSync(
      signingKeyFile,
      generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }),
      { mode: 0o600 },
    );
    const auditConfig = loadConfig(
      { ...natsSpec, ...logSpec, ...databaseSpec, ...checkpointSpec },
      {
        MSX_NATS_URL: nats.url,
        MSX_DATABASE_URL: db.url,
        MSX_DATABASE_SCHEMA: db.schema,
        MSX_AUDIT_SIGNING_KEY_FILE: signingKeyFile,
        MSX_AUDIT_CHECKPOINT_INTERVAL_MS: '300',
        MSX_LOG_LEVEL: 'error',
      },
    );
    audit = await NestFactory.createMicroservice<MicroserviceOptions>(AuditModule.forRoot(auditConfig), {
      transport: Transport.NATS,
      options: { servers: [nats.url] },
      logger: ['error'],
    });
    await audit.listen();
    // The witnesses' consumers, as the exchange's topology declares them for every node.
    await ensureConsumer(bus.jsm, witnessConsumer('jot-mare'));
    await ensureConsumer(bus.jsm, witnessConsumer('cp-it'));
    witness = await (await bus.js.consumers.get(Streams.checkpoints, Durables.witness('jot-mare'))).consume();
    void (async () => {
      for await (const m of witness) m.ack();
    })();

    const routerKeyFile = join(keyDir, 'router.pub.pem');
    writeFileSync(
      routerKeyFile,
      generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }),
    );
    const config = loadGatewayConfig({
      MSX_NATS_URL: nats.url,
      MSX_DATABASE_URL: db.url,
      MSX_DATABASE_SCHEMA: db.schema,
      MSX_ROUTER_KEY_FILE: routerKeyFile,
      MSX_GATEWAY_TOKENS: `emlo-ne=${NODE_TOKEN}`,
      MSX_AUDITOR_TOKENS: `${AUDITOR}=${AUDITOR_TOKEN}`,
      MSX_LOG_LEVEL: 'error',
    });
    gateway = await NestFactory.create<NestFastifyApplication>(
      GatewayModule.forRoot(config),
      new FastifyAdapter(),
      { logger: ['error'], rawBody: true, abortOnError: false },
    );
    await gateway.listen(0, '127.0.0.1');
    base = await gateway.getUrl();
    auditDs = await openAuditStore({ url: db.url, schema: db.schema });
    credentials = await CredentialStore.open({ url: db.url, schema: defaultCredentialSchema(db.schema) });
    officerToken = (
      await credentials.issue(
        { person: 'emlo-ne.officer-17', node: 'emlo-ne', role: 'officer', issuedBy: 'msx.admin-1' },
        new AuditRepository(auditDs),
        (id) => id === 'emlo-ne',
      )
    ).token;
    await record('before', 5);
  });

  afterAll(async () => {
    await witness?.close();
    await gateway?.close();
    await audit?.close();
    await credentials?.close();
    await auditDs?.destroy();
    await bus?.close();
    await nats?.dispose();
    await db?.drop();
    if (keyDir) rmSync(keyDir, { recursive: true, force: true });
  });

  it('reports an intact chain, verified through its last row, with the last checkpoint and the witness that kept it', async () => {
    const status = await waitFor(async () => {
      const s = await chain();
      return s.lastCheckpoint?.witnesses.length ? s : undefined;
    }, 'a status naming the witness of the last checkpoint');
    expect(status).toMatchObject({ status: 'intact', firstBreak: null });
    expect(Date.parse(status.checkedAt!)).toBeGreaterThan(Date.now() - 10_000);
    // The trail starts at row 1 and every row up to verifiedThrough was verified.
    expect(BigInt(status.verifiedThrough!.seq)).toBeGreaterThanOrEqual(BigInt(published));
    expect(status.rows).toBe(Number(status.verifiedThrough!.seq));
    const throughRow = await db.query<{ at: string }>(
      `SELECT to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at
         FROM "${db.schema}".audit_entry WHERE seq = $1`,
      [status.verifiedThrough!.seq],
    );
    expect(status.verifiedThrough!.recordedAt).toBe(throughRow[0].at);
    // The last checkpoint is the stored one, and it signed the head hash of its row.
    const c = status.lastCheckpoint!;
    const stored = await db.query<{ head_hash: string; row_hash: string }>(
      `SELECT c.head_hash, e.row_hash FROM "${db.schema}".audit_checkpoint c
         JOIN "${db.schema}".audit_entry e ON e.seq = c.tree_size WHERE c.tree_size = $1`,
      [c.seq],
    );
    expect(c.rowHash).toBe(stored[0].head_hash.trim());
    expect(c.rowHash).toBe(stored[0].row_hash.trim());
    expect(c.signedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    // Only jot-mare took it; cp-it has a consumer but kept nothing.
    expect(c.witnesses).toEqual([{ node: 'jot-mare', confirmedAt: expect.any(String) }]);
    expect(Date.parse(c.witnesses[0].confirmedAt)).toBeGreaterThanOrEqual(Date.parse(c.signedAt) - 1_000);

    const consulted = await waitFor(async () => {
      const rows = await consultations('chain');
      return rows.length > 0 ? rows : undefined;
    }, 'the status consultation in the trail');
    expect(consulted[0]).toMatchObject({
      actor_person: AUDITOR,
      justification: JUSTIFICATION,
      detail: expect.objectContaining({ query: 'chain' }),
    });
  });

  it('exports exactly the rows recorded in a period, in trail order, with their chain columns, as JSON Lines and CSV', async () => {
    await quiet();
    const since = new Date();
    await new Promise((r) => setTimeout(r, 10));
    const inside = await record('inside', 4);
    await new Promise((r) => setTimeout(r, 10));
    const until = new Date();
    await new Promise((r) => setTimeout(r, 10));
    await record('after', 2);
    const period = `since=${since.toISOString()}&until=${until.toISOString()}`;

    const jsonl = await asAuditor(`/v1/audit/export?${period}&format=jsonl`);
    expect(jsonl.status).toBe(200);
    expect(jsonl.headers.get('content-type')).toBe('application/x-ndjson');
    expect(jsonl.headers.get('content-disposition')).toMatch(
      /^attachment; filename="msx-audit-[^"]+\.jsonl"$/,
    );
    expect(jsonl.headers.get('cache-control')).toBe('no-store');
    const lines = (await jsonl.text()).split('\n');
    expect(lines.pop()).toBe('');
    const rows = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows.map((r) => r.event_id)).toEqual(inside);
    expect(Object.keys(rows[0])).toEqual(EXPORT_COLUMNS);
    for (let i = 1; i < rows.length; i++) {
      expect(BigInt(rows[i].seq as string)).toBe(BigInt(rows[i - 1].seq as string) + 1n);
      expect(rows[i].prev_hash).toBe(rows[i - 1].row_hash);
    }
    expect(rows[0].detail).toEqual({ note: 'inside, "quoted", with a comma', i: 0 });

    const csv = await asAuditor(`/v1/audit/export?${period}&format=csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.headers.get('content-disposition')).toMatch(/^attachment; filename="msx-audit-[^"]+\.csv"$/);
    const csvLines = (await csv.text()).split('\r\n');
    expect(csvLines.pop()).toBe('');
    expect(csvLines[0]).toBe(EXPORT_COLUMNS.join(','));
    const seqAt = EXPORT_COLUMNS.indexOf('seq');
    const idAt = EXPORT_COLUMNS.indexOf('event_id');
    // seq and event_id come before any field that is quoted.
    expect(csvLines.slice(1).map((l) => l.split(',')[idAt])).toEqual(inside);
    expect(csvLines.slice(1).map((l) => l.split(',')[seqAt])).toEqual(rows.map((r) => r.seq));

    const exports = await waitFor(async () => {
      const found = await consultations('export');
      return found.length >= 2 ? found : undefined;
    }, 'both exports in the trail');
    for (const [i, format] of ['jsonl', 'csv'].entries())
      expect(exports[i]).toMatchObject({
        actor_person: AUDITOR,
        justification: JUSTIFICATION,
        detail: {
          query: 'export',
          since: since.toISOString(),
          until: until.toISOString(),
          format,
          rows: 4,
        },
      });
  });

  it('refuses officers and node systems (403), a missing justification and bad parameters (400)', async () => {
    const period = 'since=2026-11-01T00:00:00Z&until=2026-12-01T00:00:00Z';
    for (const path of ['/v1/audit/chain', `/v1/audit/export?${period}`]) {
      for (const bearer of [officerToken, NODE_TOKEN]) {
        const res = await get(path, { authorization: `Bearer ${bearer}`, 'x-msx-justification': 'curious' });
        expect(res.status).toBe(403);
        expect(await res.json()).toMatchObject({ code: 'GATEWAY.FORBIDDEN' });
      }
      const none = await get(path, { authorization: `Bearer ${AUDITOR_TOKEN}` });
      expect(none.status).toBe(400);
      expect(await none.json()).toMatchObject({ code: 'AUDIT.JUSTIFICATION_REQUIRED' });
    }
    for (const [query, names] of [
      [`${period}&format=xml`, /format: must be jsonl or csv/],
      ['until=2026-12-01T00:00:00Z', /since: is required/],
      ['since=yesterday&until=2026-12-01T00:00:00Z', /since: must be an RFC 3339 time/],
      ['since=2026-12-01T00:00:00Z&until=2026-11-01T00:00:00Z', /until: must be after since/],
    ] as const) {
      const res = await asAuditor(`/v1/audit/export?${query}`);
      expect(res.status).toBe(400);
      const body = (await res.json()) as { code: string; detail: string };
      expect(body.code).toBe('AUDIT.QUERY_INVALID');
      expect(body.detail).toMatch(names);
    }
  });

  it('finds a row altered after it was verified, and names it as the first break', async () => {
    const before = await chain();
    expect(before.status).toBe('intact');
    const altered = 3n;
    expect(BigInt(before.verifiedThrough!.seq)).toBeGreaterThan(altered);
    await insider(`UPDATE "${db.schema}".audit_entry SET counterpart_node = 'cp-mt' WHERE seq = ${altered}`);
    const after = await chain();
    expect(after.status).toBe('broken');
    expect(after.firstBreak).toEqual({
      seq: altered.toString(),
      reason: expect.stringMatching(/^row 3 does not match its row_hash/),
    });
    // A break stays: the trail is append-only, so nothing legitimate repairs it.
    expect((await chain()).firstBreak?.seq).toBe(altered.toString());
  });

  /** Runs a statement as an insider would: as superuser, with the append-only triggers disabled. */
  async function insider(sql: string): Promise<void> {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const table = `"${db.schema}".audit_entry`;
      const parts = await client.query<{ t: string }>(
        `SELECT inhrelid::regclass::text AS t FROM pg_inherits WHERE inhparent = $1::regclass`,
        [table],
      );
      const tables = [table, ...parts.rows.map((p) => p.t)];
      await client.query(
        [
          'BEGIN',
          ...tables.map((t) => `ALTER TABLE ${t} DISABLE TRIGGER USER`),
          sql,
          ...tables.map((t) => `ALTER TABLE ${t} ENABLE TRIGGER USER`),
          'COMMIT',
        ].join(';\n'),
      );
    } finally {
      await client.end();
    }
  }
});
