/**
 * MSX's own figures, measured on the running services (router, audit, gateway as processes) against a
 * private nats-server and the benchmark's own PostgreSQL schema.
 */
import { randomBytes, randomInt } from 'node:crypto';
import type pg from 'pg';
import {
  AuditOperation,
  encodeEnvelope,
  HandlingCode,
  Tlp,
  envelopeFromJson,
  newAuditEvent,
  ROUTER_NODE,
  uuidv7,
  type EnvelopeJson,
} from '#contracts';
import { publishAuditEvent, publishAuditEvents, publishDurably, Subjects, type Bus } from '#messaging';
import { loadDirectory } from '#directory';
import { httpLoad, type HttpLoadResult } from './http-load.js';
import { forEachWindowed, nowMs, sleep, summary } from './stats.js';
import {
  asJson,
  validInternetContentReferralEnvelope,
  validDebriefingReportEnvelope,
} from '#testing/envelopes';

/** The directory the benchmark's services run on. */
export const BENCH_DIRECTORY_FILE = 'deploy/directory.yaml';

/** The sending node of the benchmark's traffic. */
export const BENCH_SENDER = 'emlo-ne';

/**
 * What a benchmark submission looks like. The default is the figure of record: an internet content
 * referral (about 400 bytes) reaching three parties; the scaling table varies the fan-out of the referral,
 * and the size of a debriefing report, which reaches three parties by their subscriptions alone.
 */
export type BenchShape = { kind: 'referral'; fanOut: number } | { kind: 'debriefing'; payloadBytes: number };

export const DEFAULT_SHAPE: BenchShape = { kind: 'referral', fanOut: 3 };

/**
 * Who is named, in order, for a referral's fan-out: cp-it (where latency is measured), the other contact
 * points of the directory the benchmark runs on, then Eurojust. JOT MARE (all intelligence) and Europol's IRU
 * (internet content) receive every referral by subscription, so fan-out k names k - 2 of these.
 */
function nameable(): string[] {
  nameableIds ??= [
    'cp-it',
    ...loadDirectory(BENCH_DIRECTORY_FILE)
      .parties()
      .filter((p) => p.kind === 'contact-point' && p.id !== 'cp-it')
      .map((p) => p.id),
    'eurojust',
  ];
  return nameableIds;
}
let nameableIds: string[] | undefined;

/** The party whose inbox the latency is measured at, for a shape: one that receives every item of it. */
export const latencyNodeOf = (shape: BenchShape): string =>
  shape.kind === 'referral' && shape.fanOut > 2 ? 'cp-it' : 'jot-mare';

const randomText = (chars: number) =>
  randomBytes(Math.ceil(chars / 2))
    .toString('hex')
    .slice(0, chars);

/**
 * The benchmark's item. Each is distinct, as real traffic is, so no two payloads are the same and the router
 * indexes every one: a referral has its own post and evidence hash; a debriefing (H0, on "other" routes,
 * named to no one: JOT MARE, AFIC and Frontex risk analysis subscribe to it) is filled with random text in
 * its narrative (up to 8,000 characters) and facilitators' descriptions (50 of 2,000 at most), so about
 * 107 KB is the largest the contract admits.
 */
export function benchEnvelopeJson(shape: BenchShape = DEFAULT_SHAPE): EnvelopeJson {
  const id = uuidv7();
  if (shape.kind === 'referral') {
    const recipients = ['cp-it', 'europol-iru', ...nameable().slice(1, Math.max(1, shape.fanOut - 2))];
    const base = validInternetContentReferralEnvelope({
      id,
      route: 'SMUGGLING_ROUTE_OTHER',
      recipients: shape.fanOut > 2 ? recipients : [],
    });
    const post = randomInt(1e14, 2.8e14);
    return {
      ...base,
      internetContentReferral: {
        ...base.internetContentReferral!,
        url: `https://www.facebook.com/groups/801234567890123/posts/${post}/`,
        evidenceSha256: randomBytes(32).toString('hex'),
      },
    };
  }
  const base = validDebriefingReportEnvelope({
    id,
    route: 'SMUGGLING_ROUTE_OTHER',
    recipients: [],
    handlingCode: 'HANDLING_CODE_H0',
  });
  const fill = Math.max(16, shape.payloadBytes - 900);
  const facilitators = Array.from(
    { length: Math.min(50, Math.ceil(Math.max(0, fill - 8_000) / 2_000)) },
    () => ({
      role: 'boat driver',
      description: randomText(2_000),
    }),
  );
  const { selectors: _selectors, ...report } = base.debriefingReport!;
  return {
    ...base,
    debriefingReport: { ...report, narrative: randomText(Math.min(8_000, fill)), facilitators },
  };
}

function benchSubmission(shape: BenchShape = DEFAULT_SHAPE): { id: string; bytes: Uint8Array } {
  const json = benchEnvelopeJson(shape);
  return { id: json.id, bytes: encodeEnvelope(envelopeFromJson(asJson(json))) };
}

async function submit(bus: Bus, s: { id: string; bytes: Uint8Array }): Promise<void> {
  await publishDurably(bus.js, Subjects.submit(BENCH_SENDER), s.bytes, { msgID: s.id });
}

interface TrailCount {
  total: number;
  submitted: number;
}

/**
 * Counts the trail's rows as the audit service writes them, reading each poll only the rows after the last
 * one seen (a range of the primary key's leading `seq`), so that polling every few milliseconds costs the
 * same however long the trail is, and does not slow the writer it watches. The chain writer is one and
 * assigns `seq` in commit order, so no row can appear below the last one seen.
 */
class TrailCounter {
  private head = '0';
  private count: TrailCount = { total: 0, submitted: 0 };

  constructor(
    private readonly db: pg.Client,
    private readonly schema: string,
  ) {}

  async read(): Promise<TrailCount> {
    if (!/^\d+$/.test(this.head)) throw new Error(`the trail's head seq ${this.head} is not an integer`);
    // The rows after the head, read through the primary key's index. A trail that grew fast has no statistics
    // yet, and without them the planner scans the whole partition instead: 300 ms at 300,000 rows, every poll,
    // taking a core from the writer being measured.
    const results = (await this.db
      .query(
        `BEGIN; SET LOCAL enable_seqscan = off;
         SELECT max(seq)::text AS head, count(*)::int AS total,
                count(*) FILTER (WHERE operation = 'submitted')::int AS submitted
           FROM "${this.schema}".audit_entry WHERE seq > ${this.head}::int8;
         COMMIT`,
      )
      .catch(async (err: unknown) => {
        // A failed statement leaves the transaction open and aborted: close it, or every later query fails.
        await this.db.query('ROLLBACK').catch(() => undefined);
        throw err;
      })) as unknown as pg.QueryResult<{ head: string | null; total: number; submitted: number }>[];
    const fresh = results[2].rows[0];
    if (fresh.head !== null) {
      this.head = fresh.head;
      this.count = {
        total: this.count.total + fresh.total,
        submitted: this.count.submitted + fresh.submitted,
      };
    }
    return this.count;
  }
}

const counters = new WeakMap<pg.Client, Map<string, TrailCounter>>();

/** The rows of the trail so far, by one counter per database client and schema. */
function countTrail(db: pg.Client, schema: string): Promise<TrailCount> {
  let bySchema = counters.get(db);
  if (!bySchema) counters.set(db, (bySchema = new Map<string, TrailCounter>()));
  let counter = bySchema.get(schema);
  if (!counter) bySchema.set(schema, (counter = new TrailCounter(db, schema)));
  return counter.read();
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
  /** Encoded size of a submission, bytes. */
  payloadBytes: number;
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
  shape: BenchShape = DEFAULT_SHAPE,
): Promise<RoutedResult> {
  const submissions = Array.from({ length: count }, () => benchSubmission(shape));
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
    payloadBytes: submissions[0].bytes.length,
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
 * `msx.deliver.<node>` ({@link latencyNodeOf}: cp-it by default; a core subscription beside the node's
 * durable consumer).
 */
export async function deliveryLatency(
  bus: Bus,
  ratePerSecond: number,
  durationMs: number,
  shape: BenchShape = DEFAULT_SHAPE,
): Promise<LatencyResult> {
  const count = Math.round((ratePerSecond * durationMs) / 1000);
  const submissions = Array.from({ length: count }, () => benchSubmission(shape));
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const sub = bus.nc.subscribe(Subjects.deliver(latencyNodeOf(shape)));
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

/** The parties the benchmark's item reaches (fan-out 3), as in {@link benchEnvelopeJson}. */
const BENCH_RECIPIENTS = ['cp-it', 'europol-iru', 'jot-mare'];

/** Audit rows one submission of the benchmark leaves: submitted and a delivery per recipient, a reception each. */
export const AUDIT_ROWS_PER_SUBMISSION = 1 + 2 * BENCH_RECIPIENTS.length;

/**
 * Publishes the audit events of `submissions` routed submissions onto the audit stream as the services do,
 * 256 in flight: the router's decision as one batch per submission (submitted, then one delivery per
 * recipient) on `msx.audit.msx-router`, and each recipient's reception as an event of its own on
 * `msx.audit.<node>`.
 */
export async function publishAuditBacklog(bus: Bus, submissions: number): Promise<void> {
  const fields = (messageId: string) => ({
    actorNode: BENCH_SENDER,
    actorPerson: 'emlo-ne.officer-17',
    messageId,
    messageType: 'internetContentReferral',
    handlingCode: HandlingCode.H1,
    tlp: Tlp.AMBER,
    messageSha256: randomBytes(32).toString('hex'),
    correlationId: uuidv7(),
  });
  await forEachWindowed(submissions, 256, async () => {
    const messageId = uuidv7();
    const common = fields(messageId);
    await publishAuditEvents(
      bus.js,
      ROUTER_NODE,
      [
        newAuditEvent({
          ...common,
          eventId: uuidv7(),
          operation: AuditOperation.SUBMITTED,
          detailJson: JSON.stringify({ candidates: BENCH_RECIPIENTS.length }),
        }),
        ...BENCH_RECIPIENTS.map((node) =>
          newAuditEvent({
            ...common,
            eventId: uuidv7(),
            operation: AuditOperation.DELIVERED,
            counterpartNode: node,
            rule: 'POLICY.ALLOWED',
            detailJson: '{"reason":"named by the sender"}',
          }),
        ),
      ],
      `${messageId}:audit`,
    );
    await Promise.all(
      BENCH_RECIPIENTS.map((node) =>
        publishAuditEvent(
          bus.js,
          node,
          newAuditEvent({
            ...common,
            eventId: uuidv7(),
            operation: AuditOperation.RECEIVED,
            actorNode: node,
            actorPerson: `${node}.inbox`,
            counterpartNode: BENCH_SENDER,
          }),
        ),
      ),
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
