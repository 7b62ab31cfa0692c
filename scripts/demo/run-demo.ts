/**
 * Sends the demo traffic through the gateway (HTTP, one bearer token per sending node), shows progress,
 * waits until the audit trail has recorded what the router decided, and ends with a summary read from the
 * trail in PostgreSQL: who shared what with whom, what was withheld and why, and the audit chain verified.
 */
import pg from 'pg';
import {
  encodeEnvelope,
  envelopeFromJson,
  envelopeToJson,
  INTEL_TYPES,
  uuidv7,
  type EnvelopeJson,
} from '#contracts';
import {
  connectToPostLeaf,
  ensurePostOutbox,
  openPostOutbox,
  putInPostOutbox,
  waitingInPostOutbox,
} from '#messaging';
import {
  blindQueryFor,
  HoldingsStore,
  nodeSchema,
  OutboxStore,
  queryTokensOf,
  readMatchingKeyFile,
} from '#node-app';
import { natsCredentials } from '#runtime';
import { validRouteReportEnvelope } from '#testing/envelopes';
import { tokenOf } from '../exchange/local-state.js';
import { DEMO_IBANS, demoTraffic, type DemoItem } from './demo-traffic.js';
import { verifyAuditTrail } from './verify-audit.js';

/** Where the running exchange is. */
export interface DemoTarget {
  /** Base URL of the gateway, for example `http://127.0.0.1:8080`. */
  gatewayUrl: string;
  /** `node=token,…` as in `.msx/gateway-tokens.env`. */
  tokens: string;
  databaseUrl: string;
  databaseSchema: string;
  /** The parties' matching key (`.msx/keys/match.key`): with it, the demo ends with a blind query. */
  matchKeyFile?: string;
  /** A post's leaf node the demo may cut off and bring back (npm start --demo only). */
  postLink?: PostLink;
}

/** The link of a liaison officer's post from its own leaf node to the exchange, which the demo cuts and restores. */
export interface PostLink {
  post: string;
  /** The post's leaf node, where its officers' reports go first, and the post's NKey seed file. */
  leafUrl: string;
  seedFile: string;
  cut(): Promise<void>;
  restore(): Promise<void>;
}

interface SentItem {
  item: DemoItem;
  id: string;
}

interface TrailRow {
  operation: string;
  actor_node: string;
  counterpart_node: string | null;
  message_id: string;
  message_type: string | null;
  rule: string | null;
}

/** How long to wait for the audit trail to settle, in milliseconds. */
const AUDIT_WAIT_MS = 45_000;
/** The trail counts as settled when no row was added for this long, in milliseconds. */
const QUIET_MS = 2_000;
/** Recipient lists longer than this are shortened in the summary. */
const LIST_MAX = 8;

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s: string) => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s);

function list(nodes: string[]): string {
  const sorted = [...new Set(nodes)].sort();
  if (sorted.length <= LIST_MAX) return sorted.join(', ');
  return `${sorted.slice(0, LIST_MAX).join(', ')} and ${sorted.length - LIST_MAX} more`;
}

/** How long the demo keeps retrying one submission while the exchange answers 503 or cannot be reached. */
const SUBMIT_RETRY_MS = 60_000;

/**
 * Submits one item as every client of the gateway should: on 503 (the exchange cannot confirm yet, see
 * Retry-After) or a lost connection it sends the very same body again, with the same id, so a submission
 * that was in fact stored is answered "duplicate" and never routed twice.
 */
async function submit(
  target: DemoTarget,
  item: DemoItem,
): Promise<{ ok: boolean; text: string; id?: string }> {
  const sender = item.envelope.sender;
  const token = tokenOf(target.tokens, sender);
  if (!token) return { ok: false, text: `no gateway token for ${sender}` };
  const body = JSON.stringify(item.envelope);
  const deadline = Date.now() + SUBMIT_RETRY_MS;
  for (let attempt = 1; ; attempt++) {
    let res: Response | undefined;
    let failure = '';
    try {
      res = await fetch(`${target.gatewayUrl}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body,
        signal: AbortSignal.timeout(15_000),
      });
    } catch (err) {
      failure = `gateway unreachable: ${(err as Error).message}`;
    }
    if (res && res.status !== 503) {
      const answer = (await res.json().catch(() => ({}))) as {
        id?: string;
        status?: string;
        code?: string;
        detail?: string;
        violations?: { field: string; rule: string }[];
      };
      const retried = attempt > 1 ? ` after ${attempt} attempts` : '';
      if (res.status === 202)
        return { ok: true, text: `${res.status} ${answer.status ?? ''}${retried}`.trim(), id: answer.id };
      const why = answer.violations?.map((v) => `${v.field}: ${v.rule}`).join('; ') ?? answer.detail ?? '';
      return { ok: false, text: `${res.status} ${answer.code ?? ''} ${why}`.trim() };
    }
    if (Date.now() > deadline) return { ok: false, text: failure || `503 for ${SUBMIT_RETRY_MS / 1000} s` };
    const wait = Math.min(Number(res?.headers.get('retry-after') ?? 1) || 1, 5) * 1000;
    await new Promise((r) => setTimeout(r, wait));
  }
}

async function trailOf(client: pg.Client, schema: string, ids: string[]): Promise<TrailRow[]> {
  const { rows } = await client.query<TrailRow>(
    `SELECT operation, actor_node, counterpart_node, message_id, message_type, rule
       FROM "${schema}".audit_entry WHERE message_id = ANY($1::text[]) ORDER BY seq`,
    [ids],
  );
  return rows;
}

/** Polls until every item's submission is recorded and no row was added for QUIET_MS. */
async function waitForTrail(
  client: pg.Client,
  schema: string,
  ids: string[],
  write: (line: string) => void,
): Promise<TrailRow[]> {
  const deadline = Date.now() + AUDIT_WAIT_MS;
  let rows: TrailRow[] = [];
  let lastCount = -1;
  let quietSince = Date.now();
  let lastShown = '';
  while (Date.now() < deadline) {
    rows = await trailOf(client, schema, ids);
    const submitted = new Set(rows.filter((r) => r.operation === 'submitted').map((r) => r.message_id)).size;
    if (rows.length !== lastCount) {
      lastCount = rows.length;
      quietSince = Date.now();
    }
    const shown = `  audit trail: ${submitted}/${ids.length} submissions recorded, ${rows.length} rows`;
    if (shown !== lastShown) write(dim(shown));
    lastShown = shown;
    if (submitted === ids.length && Date.now() - quietSince >= QUIET_MS) return rows;
    await new Promise((r) => setTimeout(r, 250));
  }
  write(`  the audit trail did not settle within ${AUDIT_WAIT_MS / 1000} s; summarising what is there`);
  return rows;
}

function summarise(sent: SentItem[], rows: TrailRow[], write: (line: string) => void): void {
  const byMessage = new Map<string, TrailRow[]>();
  for (const r of rows) byMessage.set(r.message_id, [...(byMessage.get(r.message_id) ?? []), r]);

  write('');
  write(bold('Who shared what with whom'));
  for (const { item, id } of sent) {
    const trail = byMessage.get(id) ?? [];
    const delivered = trail.filter((r) => r.operation === 'delivered').map((r) => r.counterpart_node ?? '?');
    const withheld = trail.filter((r) => r.operation === 'withheld');
    const received = trail.filter((r) => r.operation === 'received').map((r) => r.actor_node);
    const type = INTEL_TYPES.find((k) => item.envelope[k] !== undefined) ?? '?';
    write(
      `  ${item.envelope.sender.padEnd(9)} ${String(type).padEnd(23)} → ${delivered.length} ${delivered.length === 1 ? 'party' : 'parties'}: ${list(delivered) || '(none)'}`,
    );
    if (withheld.length > 0)
      write(
        dim(
          `  ${''.padEnd(33)} withheld from ${withheld.length}: ${list(withheld.map((r) => r.counterpart_node ?? '?'))}`,
        ),
      );
    if (received.length > 0) write(dim(`  ${''.padEnd(33)} read by ${list(received)}`));
  }

  write('');
  write(bold('What was withheld, and why'));
  const byRule = new Map<string, TrailRow[]>();
  for (const r of rows.filter((x) => x.operation === 'withheld')) {
    const rule = r.rule ?? '(no rule recorded)';
    byRule.set(rule, [...(byRule.get(rule) ?? []), r]);
  }
  if (byRule.size === 0) write('  nothing was withheld');
  for (const [rule, withheld] of [...byRule].sort((a, b) => b[1].length - a[1].length)) {
    write(`  ${rule} — ${withheld.length} time(s)`);
    const byItem = new Map<string, TrailRow[]>();
    for (const r of withheld) byItem.set(r.message_id, [...(byItem.get(r.message_id) ?? []), r]);
    for (const [messageId, rs] of byItem) {
      const s = sent.find((x) => x.id === messageId);
      write(
        dim(
          `      ${rs[0].message_type} from ${s?.item.envelope.sender ?? rs[0].actor_node}: not to ${list(rs.map((r) => r.counterpart_node ?? '?'))}`,
        ),
      );
    }
  }

  write('');
  write(bold('The audit trail of this demo'));
  const byOperation = new Map<string, number>();
  for (const r of rows) byOperation.set(r.operation, (byOperation.get(r.operation) ?? 0) + 1);
  write(`  ${rows.length} rows: ${[...byOperation].map(([op, n]) => `${n} ${op}`).join(', ')}`);
}

/** A vessel alert JOT MARE raised from the demo's reports, as its `combined` row and the router's rows state it. */
interface RaisedAlert {
  alert: string;
  vessel: string;
  level: string;
  score: number;
  criteria: string[];
  deliveredTo: string[];
}

/** JOT MARE's alerts raised from the demo's items, once the router has delivered each (waiting up to 15 s). */
async function alertsOf(client: pg.Client, schema: string, ids: string[]): Promise<RaisedAlert[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const { rows } = await client.query<{
      detail: Omit<RaisedAlert, 'deliveredTo'> & { recipients: string[] };
    }>(
      `SELECT detail FROM "${schema}".audit_entry
        WHERE actor_node = 'jot-mare' AND operation = 'combined' AND message_id = ANY($1::text[]) AND detail ? 'alert'
        ORDER BY seq`,
      [ids],
    );
    const alerts: RaisedAlert[] = [];
    for (const { detail } of rows) {
      const delivered = await client.query<{ counterpart_node: string }>(
        `SELECT counterpart_node FROM "${schema}".audit_entry
          WHERE message_id = $1 AND operation = 'delivered' ORDER BY counterpart_node`,
        [detail.alert],
      );
      alerts.push({ ...detail, deliveredTo: delivered.rows.map((r) => r.counterpart_node) });
    }
    const settled = alerts.every((a) => a.deliveredTo.length > 0);
    if (settled || Date.now() > deadline) return alerts;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** A link JOT MARE found between two demo reports, as it audited it. */
interface FoundLink {
  holder: string;
  selectorKinds: string[];
  told: string[];
}

/** JOT MARE's links between the demo's reports, from its `combined` rows. */
async function linksOf(client: pg.Client, schema: string, ids: string[]): Promise<FoundLink[]> {
  const { rows } = await client.query<{ detail: FoundLink }>(
    `SELECT detail FROM "${schema}".audit_entry
      WHERE actor_node = 'jot-mare' AND operation = 'combined' AND message_id = ANY($1::text[]) AND detail ? 'linked'
      ORDER BY seq`,
    [ids],
  );
  return rows.map((r) => r.detail);
}

/** JOT MARE's correlation: how many links, by which selector kinds, who was told, and what was kept back why. */
function summariseLinks(links: FoundLink[], rows: TrailRow[], write: (line: string) => void): void {
  if (links.length === 0) {
    write('  JOT MARE found no selector shared by reports of different parties');
    return;
  }
  const kinds = [...new Set(links.flatMap((l) => l.selectorKinds))].sort();
  const told = [...new Set(links.flatMap((l) => l.told))].sort();
  write(
    `  JOT MARE linked ${links.length} pair(s) of reports by shared ${kinds.join(', ')}; ` +
      `hit notices to ${list(told) || 'no one'}`,
  );
  const keptBack = new Map<string, number>();
  for (const r of rows)
    if (r.actor_node === 'jot-mare' && r.operation === 'withheld' && r.rule)
      keptBack.set(r.rule, (keptBack.get(r.rule) ?? 0) + 1);
  if (keptBack.size)
    write(
      dim(
        `    links kept from parties that may not see the report: ${[...keptBack].map(([k, n]) => `${k} ${n}`).join(', ')}`,
      ),
    );
}

/** AFIC's copies for partner countries without the personal data, from its `altered` rows (one per field). */
function summariseReleases(rows: TrailRow[], write: (line: string) => void): void {
  const altered = rows.filter((r) => r.actor_node === 'afic' && r.operation === 'altered');
  const partners = [...new Set(altered.map((r) => r.counterpart_node ?? '?'))].sort();
  const items = new Set(altered.map((r) => r.message_id)).size;
  write(
    partners.length
      ? `  AFIC passed ${items} item(s) on to ${list(partners)} without the personal data: ${altered.length} field(s) taken out`
      : '  AFIC passed nothing on to partner countries: the router delivered what their agreements allow',
  );
}

/** What the node apps did with the demo's items: JOT MARE's alerts and the contact points' national dispatch. */
function summariseNodeJobs(
  alerts: RaisedAlert[],
  links: FoundLink[],
  rows: TrailRow[],
  write: (line: string) => void,
): void {
  write('');
  write(bold('What the nodes did with it'));
  if (alerts.length === 0) write('  JOT MARE raised no vessel alert');
  for (const a of alerts)
    write(
      `  JOT MARE: ${a.level} alert on ${a.vessel}, score ${a.score} (${a.criteria.join(', ')}) → ` +
        `${list(a.deliveredTo) || '(not delivered yet)'}`,
    );
  summariseLinks(links, rows, write);
  summariseReleases(rows, write);
  const byContactPoint = new Map<string, { sent: Map<string, number>; withheld: Map<string, number> }>();
  for (const r of rows) {
    if (r.operation !== 'dispatched' && !(r.operation === 'withheld' && r.rule?.startsWith('DISPATCH.')))
      continue;
    const cp = byContactPoint.get(r.actor_node) ?? { sent: new Map(), withheld: new Map() };
    const key = r.operation === 'dispatched' ? (r.counterpart_node ?? '?').split('/')[1] : r.rule!;
    const counts = r.operation === 'dispatched' ? cp.sent : cp.withheld;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    byContactPoint.set(r.actor_node, cp);
  }
  if (byContactPoint.size === 0)
    write('  no contact point dispatched anything nationally (no MSX_DISPATCH_FILE?)');
  const counted = (m: Map<string, number>) => [...m].map(([k, n]) => `${k} ${n}`).join(', ');
  for (const [cp, { sent, withheld }] of byContactPoint)
    write(
      `  ${cp} passed on nationally: ${counted(sent) || 'nothing'}` +
        (withheld.size ? dim(`; kept back: ${counted(withheld)}`) : ''),
    );
}

/** The party the demo asks a blind query for, and an IBAN no one holds beside the one the demo sent. */
const BLIND_QUERIER = 'cp-mt';
const UNKNOWN_IBAN = 'NL91ABNA0417164300';

/**
 * Blind hit/no-hit: cp-mt asks whether anyone holds the German settlement account (sent above, H1 GREEN) or
 * another IBAN, with tokens made with the parties' key, so no IBAN crosses the bus; the summary is read from
 * the matching service's audit rows.
 */
async function blindQuery(
  target: DemoTarget & { matchKeyFile: string },
  client: pg.Client,
  write: (line: string) => void,
): Promise<boolean> {
  write('');
  write(bold('Blind hit/no-hit'));
  const key = readMatchingKeyFile(target.matchKeyFile);
  const query = blindQueryFor({
    id: uuidv7(),
    sender: BLIND_QUERIER,
    author: `${BLIND_QUERIER}.fin-analyst-02`,
    matcher: 'hit-no-hit',
    keyId: key.id,
    tokens: queryTokensOf(key, [
      { kind: 'iban', value: DEMO_IBANS.settlementDe },
      { kind: 'iban', value: UNKNOWN_IBAN },
    ]),
    purpose: 'Financial investigation of a smuggling network: tracing and freezing of its proceeds',
    nowMs: Date.now(),
  });
  const item: DemoItem = {
    scene: 'Blind hit/no-hit',
    label: `${BLIND_QUERIER}: does anyone hold either of two IBANs? (tokens only)`,
    envelope: envelopeToJson(query) as unknown as EnvelopeJson,
  };
  const sent = await submit(target, item);
  write(`  ${sent.ok ? '✓' : '✗'} ${item.label}  ${dim(sent.text)}`);
  if (!sent.ok) return false;
  const deadline = Date.now() + AUDIT_WAIT_MS;
  while (Date.now() < deadline) {
    const { rows } = await client.query<{
      operation: string;
      counterpart_node: string;
      detail: Record<string, unknown>;
    }>(
      `SELECT operation, counterpart_node, detail FROM "${target.databaseSchema}".audit_entry
        WHERE message_id = $1 AND actor_node = 'hit-no-hit' AND operation IN ('consulted', 'combined', 'withheld')`,
      [query.id],
    );
    const asked = rows.find((r) => r.operation !== 'combined');
    if (asked) {
      const holders = rows.filter((r) => r.operation === 'combined').map((r) => r.counterpart_node);
      if (asked.operation === 'withheld') {
        write(`  the matching service refused the query: ${JSON.stringify(asked.detail)}`);
        return false;
      }
      write(
        `  the matching service answered ${BLIND_QUERIER}: ${String(asked.detail.hits)} of ${String(asked.detail.tokens)} IBAN(s) hit, ` +
          `held by ${list(holders) || 'no one'}; each holder was told that ${BLIND_QUERIER} asked, and why`,
      );
      write(
        dim(
          '  the query, the answer and the notices name no IBAN: they carry keyed hashes, made with a key the matching service does not have',
        ),
      );
      return true;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  write(`  no answer from the matching service within ${AUDIT_WAIT_MS / 1000} s (is hit-no-hit running?)`);
  return false;
}

/** How long the demo keeps a post cut off while its officer writes. */
const OFFLINE_MS = 4_000;

/**
 * A post back online: the link from the post's leaf node to the exchange is cut, its officer writes two
 * reports into the outbox, which the leaf stores, and nothing reaches the exchange; the link comes back and
 * both arrive, in order, once.
 */
async function postBackOnline(
  target: DemoTarget & { postLink: PostLink },
  client: pg.Client,
  write: (line: string) => void,
): Promise<boolean> {
  const { post } = target.postLink;
  write('');
  write(bold(`A post back online (${post})`));
  const holdings = await HoldingsStore.open({
    url: target.databaseUrl,
    schema: nodeSchema({ MSX_DATABASE_SCHEMA: target.databaseSchema }, post),
    poolSize: 1,
  });
  const outbox = new OutboxStore(holdings);
  const nc = await connectToPostLeaf(
    target.postLink.leafUrl,
    natsCredentials({ MSX_NATS_NKEY_SEED_FILE: target.postLink.seedFile }, post)!,
    `msx-demo-${post}`,
  );
  const leaf = await openPostOutbox(nc, post);
  await ensurePostOutbox(leaf.jsm, post);
  const recorded = async (ids: string[]) => {
    const { rows } = await client.query<{ message_id: string }>(
      `SELECT message_id FROM "${target.databaseSchema}".audit_entry
        WHERE operation = 'submitted' AND message_id = ANY($1::text[]) ORDER BY seq`,
      [ids],
    );
    return rows.map((r) => r.message_id);
  };
  try {
    await target.postLink.cut();
    write(`  ${post}'s link to the exchange is cut: the post is cut off, its leaf node still runs`);
    const ids: string[] = [];
    for (const [i, place] of [
      [1, 'Arlit'],
      [2, 'Assamaka'],
    ] as const) {
      const json = validRouteReportEnvelope({
        id: uuidv7(),
        createdAt: new Date().toISOString(),
        sender: post,
        author: `${post}.officer-2`,
        recipients: ['cp-it'],
        tlp: 'TLP_GREEN',
      });
      json.routeReport!.narrative = `Convoy seen leaving ${place} for the Libyan border (report ${i} of 2, written offline).`;
      const envelope = envelopeFromJson(json);
      const { seq } = await putInPostOutbox(leaf, post, envelope.id, encodeEnvelope(envelope));
      ids.push(envelope.id);
      write(`  ✓ ${post} writes report ${i} into its outbox on its leaf node (#${seq}) while offline`);
    }
    await new Promise((r) => setTimeout(r, OFFLINE_MS));
    write(
      `  after ${OFFLINE_MS / 1000} s offline the exchange has recorded ${(await recorded(ids)).length} of them`,
    );
    await target.postLink.restore();
    write(`  ${post}'s link is back`);
    const deadline = Date.now() + AUDIT_WAIT_MS;
    while (Date.now() < deadline) {
      const got = await recorded(ids);
      if (got.length >= ids.length) {
        const inOrder = got.join() === ids.join();
        write(
          `  both arrived ${inOrder ? 'in the order written' : 'OUT OF ORDER'}, ${got.length === ids.length ? 'once each' : `${got.length} times in all`}; ` +
            `waiting in the outbox now: ${(await outbox.waiting()) + (await waitingInPostOutbox(leaf.jsm, post))}`,
        );
        return inOrder && got.length === ids.length;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    write(`  the reports did not arrive within ${AUDIT_WAIT_MS / 1000} s`);
    return false;
  } finally {
    await target.postLink.restore().catch(() => undefined);
    await nc.close().catch(() => undefined);
    await holdings.close();
  }
}

/**
 * Runs the demo against a running exchange. Resolves true when every item was accepted and recorded.
 * `write` receives one line at a time.
 */
export async function runDemo(target: DemoTarget, write: (line: string) => void): Promise<boolean> {
  const items = demoTraffic();
  write('');
  write(bold(`MSX demo: ${items.length} items through the gateway at ${target.gatewayUrl}`));
  const sent: SentItem[] = [];
  let failures = 0;
  let scene = '';
  for (const [i, item] of items.entries()) {
    if (item.scene !== scene) {
      scene = item.scene;
      write('');
      write(bold(scene));
    }
    const result = await submit(target, item);
    const counter = `[${String(i + 1).padStart(2)}/${items.length}]`;
    write(`  ${counter} ${result.ok ? '✓' : '✗'} ${item.label}  ${dim(result.text)}`);
    if (item.note) write(dim(`          expect: ${item.note}`));
    if (result.ok && result.id) sent.push({ item, id: result.id });
    else failures++;
  }
  if (sent.length === 0) {
    write('nothing was accepted; is MSX running (npm start)?');
    return false;
  }

  write('');
  write(bold('Waiting for the router and the audit service'));
  const client = new pg.Client({ connectionString: target.databaseUrl, connectionTimeoutMillis: 5_000 });
  await client.connect();
  let rows: TrailRow[];
  let alerts: RaisedAlert[];
  let links: FoundLink[];
  try {
    const ids = sent.map((s) => s.id);
    rows = await waitForTrail(client, target.databaseSchema, ids, write);
    alerts = await alertsOf(client, target.databaseSchema, ids);
    links = await linksOf(client, target.databaseSchema, ids);
  } finally {
    await client.end();
  }
  summarise(sent, rows, write);
  summariseNodeJobs(alerts, links, rows, write);
  let scenesOk = true;
  if (target.postLink || target.matchKeyFile) {
    const scenes = new pg.Client({ connectionString: target.databaseUrl, connectionTimeoutMillis: 5_000 });
    await scenes.connect();
    try {
      if (target.postLink)
        scenesOk = await postBackOnline({ ...target, postLink: target.postLink }, scenes, write);
      if (target.matchKeyFile)
        scenesOk =
          (await blindQuery({ ...target, matchKeyFile: target.matchKeyFile }, scenes, write)) && scenesOk;
    } finally {
      await scenes.end();
    }
  }

  write('');
  write(bold('Audit chain'));
  const verification = await verifyAuditTrail(target.databaseUrl, target.databaseSchema);
  for (const line of verification.lines) write(`  ${line}`);

  const recorded = new Set(rows.filter((r) => r.operation === 'submitted').map((r) => r.message_id)).size;
  write('');
  write(
    `${sent.length}/${items.length} items accepted, ${recorded} recorded in the audit trail` +
      (failures > 0 ? `, ${failures} refused (see above)` : ''),
  );
  return failures === 0 && recorded === sent.length && verification.ok && scenesOk;
}
