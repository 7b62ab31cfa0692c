/**
 * MSX's own figures, measured on the running services (router, audit, gateway as processes) against a
 * private nats-server and the benchmark's own PostgreSQL schema.
 */
import type pg from 'pg';
import {
  AuditOperation,
  encodeEnvelope,
  envelopeFromJson,
  newAuditEvent,
  ROUTER_NODE,
  uuidv7,
  type EnvelopeJson,
} from '#contracts';
import { publishAuditEvent, publishDurably, Subjects, type Bus } from '#messaging';
import { httpLoad, type HttpLoadResult } from './http-load.js';
import { forEachWindowed, nowMs, sleep, summary } from './stats.js';
import { asJson, validInternetContentReferralEnvelope } from '#testing/envelopes';

/** The sending node of the benchmark's traffic. */
export const BENCH_SENDER = 'emlo-ne';
/** The node whose inbox the latency is measured at. */
const LATENCY_NODE = 'cp-it';

/**
 * The benchmark's item: an internet content referral on "other" routes, named to cp-it and europol-iru;
 * JOT MARE subscribes to all intelligence, so the router delivers it to three parties (fan-out 3).
 */
export function benchEnvelopeJson(): EnvelopeJson {
  return validInternetContentReferralEnvelope({
    id: uuidv7(),
    route: 'SMUGGLING_ROUTE_OTHER',
    recipients: ['cp-it', 'europol-iru'],
  });
}

function benchSubmission(): { id: string; bytes: Uint8Array } {
  const json = benchEnvelopeJson();
  return { id: json.id, bytes: encodeEnvelope(envelopeFromJson(asJson(json))) };
}

async function submit(bus: Bus, s: { id: string; bytes: Uint8Array }): Promise<void> {
  await publishDurably(bus.js, Subjects.submit(BENCH_SENDER), s.bytes, { msgID: s.id });
}

interface TrailCount {
  total: number;
  submitted: number;
}

async function countTrail(db: pg.Client, schema: string): Promise<TrailCount> {
  const { rows } = await db.query<{ total: string; submitted: string }>(
    `SELECT count(*) AS total, count(*) FILTER (WHERE operation = 'submitted') AS submitted
       FROM "${schema}".audit_entry`,
  );
  return { total: Number(rows[0].total), submitted: Number(rows[0].submitted) };
}

/**
 * Waits until `done(count)` holds and the trail has not grown for `quietMs`; resolves with the time of the
 * last growth (ms, performance clock) and the final count.
 */
async function settle(
  db: pg.Client,
  schema: string,
  done: (c: TrailCount) => boolean,
  timeoutMs: number,
  quietMs = 1_000,
): Promise<{ lastChangeMs: number; count: TrailCount; timedOut: boolean }> {
  const deadline = nowMs() + timeoutMs;
  let count = await countTrail(db, schema);
  let lastChangeMs = nowMs();
  for (;;) {
    await sleep(50);
    const next = await countTrail(db, schema);
    if (next.total !== count.total) lastChangeMs = nowMs();
    count = next;
    if (done(count) && nowMs() - lastChangeMs >= quietMs) return { lastChangeMs, count, timedOut: false };
    if (nowMs() > deadline) return { lastChangeMs, count, timedOut: true };
  }
}

/** Waits until the router and the audit service have nothing left to do (the trail stops growing). */
export async function drain(db: pg.Client, schema: string, timeoutMs = 120_000): Promise<void> {
  await settle(db, schema, () => true, timeoutMs, 1_500);
}

export interface RoutedResult {
  messagesPerSecond: number;
  auditRowsPerSecond: number;
  messages: number;
  fanOut: number;
  timedOut: boolean;
}

/**
 * Routed messages per second: `count` submissions published onto `msx.submit.emlo-ne` (256 in flight), timed
 * from the first publish until the audit rows of the last routing decision are committed.
 */
export async function routedThroughput(
  bus: Bus,
  db: pg.Client,
  schema: string,
  count: number,
): Promise<RoutedResult> {
  const submissions = Array.from({ length: count }, benchSubmission);
  const before = await countTrail(db, schema);
  const started = nowMs();
  await forEachWindowed(count, 256, (i) => submit(bus, submissions[i]));
  const end = await settle(db, schema, (c) => c.submitted - before.submitted >= count, 300_000);
  const seconds = (end.lastChangeMs - started) / 1000;
  const { rows } = await db.query<{ n: string }>(
    `SELECT count(*) AS n FROM "${schema}".audit_entry WHERE message_id = $1 AND operation = 'delivered'`,
    [submissions[0].id],
  );
  return {
    messagesPerSecond: (end.count.submitted - before.submitted) / seconds,
    auditRowsPerSecond: (end.count.total - before.total) / seconds,
    messages: end.count.submitted - before.submitted,
    fanOut: Number(rows[0].n),
    timedOut: end.timedOut,
  };
}

export interface LatencyResult {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  sent: number;
  delivered: number;
  ratePerSecond: number;
}

/**
 * Submit → delivery latency at a fixed rate: submissions are published on schedule (not waiting for each
 * other), and each is timed from just before its publish until the router's copy arrives on
 * `msx.deliver.cp-it` (a core subscription beside the node's durable consumer).
 */
export async function deliveryLatency(
  bus: Bus,
  ratePerSecond: number,
  durationMs: number,
): Promise<LatencyResult> {
  const count = Math.round((ratePerSecond * durationMs) / 1000);
  const submissions = Array.from({ length: count }, benchSubmission);
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const sub = bus.nc.subscribe(Subjects.deliver(LATENCY_NODE));
  const receiving = (async () => {
    for await (const m of sub) {
      const msgId = m.headers?.get('Nats-Msg-Id') ?? '';
      const t0 = sentAt.get(msgId.slice(0, msgId.lastIndexOf(':')));
      if (t0 !== undefined) latencies.push(nowMs() - t0);
      if (latencies.length >= count) break;
    }
  })();
  await bus.nc.flush();
  const started = nowMs();
  const intervalMs = 1000 / ratePerSecond;
  const publishes: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const wait = started + i * intervalMs - nowMs();
    if (wait > 0) await sleep(wait);
    const s = submissions[i];
    sentAt.set(s.id, nowMs());
    publishes.push(submit(bus, s));
  }
  await Promise.all(publishes);
  const deadline = nowMs() + 10_000;
  while (latencies.length < count && nowMs() < deadline) await sleep(50);
  sub.unsubscribe();
  await receiving;
  const s = summary(latencies);
  return {
    p50Ms: s.p50,
    p99Ms: s.p99,
    maxMs: s.max,
    sent: count,
    delivered: latencies.length,
    ratePerSecond,
  };
}

/** Gateway submissions per second: in-process HTTP load, `connections` keep-alive connections. */
export async function gatewayThroughput(
  gatewayUrl: string,
  token: string,
  durationMs: number,
  connections: number,
): Promise<HttpLoadResult> {
  return httpLoad({
    url: `${gatewayUrl}/v1/messages`,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: () => JSON.stringify(benchEnvelopeJson()),
    expectStatus: 202,
    connections,
    durationMs,
  });
}

/** Publishes `count` audit events (as the router would) onto the audit stream, 256 in flight. */
export async function publishAuditBacklog(bus: Bus, count: number): Promise<void> {
  await forEachWindowed(count, 256, async () => {
    const messageId = uuidv7();
    await publishAuditEvent(
      bus.js,
      ROUTER_NODE,
      newAuditEvent({
        eventId: uuidv7(),
        operation: AuditOperation.DELIVERED,
        actorNode: BENCH_SENDER,
        actorPerson: 'emlo-ne.officer-17',
        counterpartNode: 'cp-it',
        messageId,
        messageType: 'internetContentReferral',
        messageSha256: 'a'.repeat(64),
        rule: 'POLICY.ALLOWED',
        detailJson: '{"reason":"named by the sender"}',
      }),
    );
  });
}

/**
 * Audit rows per second while the audit service drains a backlog of `count` events: from the first new row
 * to the last, so the service's start-up does not count.
 */
export async function auditDrainRate(
  db: pg.Client,
  schema: string,
  count: number,
): Promise<{ rowsPerSecond: number; rows: number; timedOut: boolean }> {
  const before = await countTrail(db, schema);
  // Timed from the first rows seen to the last: those first rows' own commit is not in the interval.
  let first: { at: number; total: number } | undefined;
  const deadline = nowMs() + 300_000;
  let last = before;
  let lastAt = nowMs();
  while (nowMs() < deadline) {
    const c = await countTrail(db, schema);
    if (c.total !== last.total) {
      first ??= { at: nowMs(), total: c.total };
      lastAt = nowMs();
      last = c;
    }
    if (last.total - before.total >= count) break;
    await sleep(20);
  }
  const rows = last.total - before.total;
  const rate = first === undefined ? NaN : (last.total - first.total) / ((lastAt - first.at) / 1000);
  return { rowsPerSecond: rate, rows, timedOut: rows < count };
}
