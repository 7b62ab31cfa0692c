import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { principalOf } from '#messaging';
import { loadServices, type OwnedServer, type ServiceSpec } from '#process-kit';
import { NATIONAL_INTAKE_STREAM, prepareNationalNetwork } from '../scripts/exchange/national-network.js';
import { startService, waitFor, type SecureBroker, type ServiceProcess, type TestSchema } from '#testing';

/** The services of a local exchange, as deploy/services.yaml lists them (and npm start runs them). */
export const LOCAL_SERVICES: readonly ServiceSpec[] = loadServices();

/** The spec of one service or node of deploy/services.yaml, by name. */
export function localService(name: string): ServiceSpec | undefined {
  return LOCAL_SERVICES.find((s) => s.name === name);
}

/** The node ids of a local exchange: every service of deploy/services.yaml that runs as a node. */
export function localNodes(): string[] {
  return LOCAL_SERVICES.flatMap((s) => (s.env.MSX_NODE_ID ? [s.env.MSX_NODE_ID] : []));
}

/** What an audit row looks like to the end-to-end tests. */
export interface AuditRow {
  operation: string;
  actor_node: string;
  counterpart_node: string | null;
  message_id: string | null;
  message_type: string | null;
  message_sha256: string | null;
  rule: string | null;
  detail: Record<string, unknown>;
}

/**
 * Submits through the gateway as a client should: on 503 it waits as Retry-After says and tries again
 * (the gateway refuses while the audit trail cannot keep up, for instance just after start).
 */
export async function submit(
  gatewayUrl: string,
  token: string,
  body: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const res = await fetch(`${gatewayUrl}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
    const json = (await res.json()) as Record<string, unknown>;
    if (res.status !== 503 || Date.now() > deadline) return { status: res.status, json };
    await new Promise((r) => setTimeout(r, 1_000 * Math.min(Number(res.headers.get('retry-after') ?? 1), 2)));
  }
}

/** Reads the audit rows of one message, and waits until `pick` selects at least `count` of them. */
export function auditTrail(db: TestSchema) {
  const trail = (messageId: string) =>
    db.query<AuditRow & Record<string, unknown>>(
      `SELECT operation, actor_node, counterpart_node, message_id, message_type, message_sha256, rule, detail
         FROM "${db.schema}".audit_entry WHERE message_id = $1 ORDER BY seq`,
      [messageId],
    );
  const rowsOf = (messageId: string, pick: (r: AuditRow) => boolean, count: number, timeoutMs = 30_000) =>
    waitFor(
      async () => {
        const rows = (await trail(messageId)).filter(pick);
        return rows.length >= count ? rows : undefined;
      },
      `${count} audit row(s) of ${messageId}`,
      timeoutMs,
    );
  return { trail, rowsOf };
}

/** Fails early, naming the remedy, when the services have not been built (npm test builds them first). */
export function requireBuild(): void {
  if (!existsSync('dist/apps/gateway/src/main.js'))
    throw new Error('build first: npm run build (npm test does it)');
}

/** What the services of a test exchange share: its bus, its audit database, the shipped directory, the gateway. */
export function exchangeEnv(o: {
  /** Only for a broker without credentials; on the isolated broker each service takes it from {@link startOn}. */
  natsUrl?: string;
  databaseUrl: string;
  schema: string;
  gatewayPort: number;
  /** Gateway tokens by node. */
  tokens: Record<string, string>;
}): Record<string, string> {
  return {
    ...(o.natsUrl ? { MSX_NATS_URL: o.natsUrl } : {}),
    MSX_DATABASE_URL: o.databaseUrl,
    MSX_DATABASE_SCHEMA: o.schema,
    MSX_DIRECTORY_FILE: 'deploy/directory.yaml',
    MSX_GATEWAY_PORT: String(o.gatewayPort),
    MSX_GATEWAY_TOKENS: Object.entries(o.tokens)
      .map(([node, token]) => `${node}=${token}`)
      .join(','),
  };
}

/**
 * Starts a service or node as a process on the isolated broker, with its own credentials (NKey, client
 * certificate) and the router key it needs, on top of the exchange's shared environment.
 */
export function startOn(
  broker: Pick<SecureBroker, 'envOf'>,
  env: Record<string, string>,
  app: string,
  nodeId?: string,
  name?: string,
): ServiceProcess {
  return startService(
    app,
    { ...env, ...broker.envOf(principalOf(app, nodeId)), ...(nodeId ? { MSX_NODE_ID: nodeId } : {}) },
    { name: name ?? nodeId ?? app },
  );
}

/**
 * Starts services of deploy/services.yaml by name on the isolated broker, each as {@link startOn} does with
 * the app and environment its entry gives; `envOf` adds to one service's environment (a witness folder).
 */
export function startLocal(
  broker: Pick<SecureBroker, 'envOf'>,
  env: Record<string, string>,
  names: readonly string[],
  envOf: (spec: ServiceSpec) => Record<string, string> = () => ({}),
): ServiceProcess[] {
  return names.map((name) => {
    const spec = localService(name);
    if (!spec) throw new Error(`${name} is not in deploy/services.yaml`);
    return startOn(
      broker,
      { ...env, ...spec.env, ...envOf(spec) },
      spec.app,
      spec.env.MSX_NODE_ID,
      spec.name,
    );
  });
}

/** The local national network for a test exchange: its server, the contact points' env, and what it received. */
export interface TestNationalNetwork {
  server: OwnedServer;
  /** Adds MSX_DISPATCH_FILE to a contact point's environment. */
  envOf(spec: ServiceSpec): Record<string, string>;
  /** What the national authorities received, in order: subject and JSON body. */
  intake(): Promise<
    Array<{ subject: string; body: { kind: string; item?: { id: string }; recall?: { item: string } } }>
  >;
  dispose(): Promise<void>;
}

/** Starts the national network of {@link prepareNationalNetwork} for the contact points named. */
export async function startTestNationalNetwork(
  contactPoints: readonly string[],
): Promise<TestNationalNetwork> {
  const dir = mkdtempSync(join(tmpdir(), 'msx-national-'));
  const network = await prepareNationalNetwork({ dir, contactPoints });
  const server = await network.start();
  const nc = await connect({ servers: network.url, name: 'national-test' });
  const jsm = await jetstreamManager(nc);
  return {
    server,
    envOf: (spec): Record<string, string> =>
      spec.app === 'contact-point' && contactPoints.includes(spec.env.MSX_NODE_ID)
        ? { MSX_DISPATCH_FILE: network.fileOf(spec.env.MSX_NODE_ID) }
        : {},
    intake: async () => {
      const { state } = await jsm.streams.info(NATIONAL_INTAKE_STREAM);
      const out: Awaited<ReturnType<TestNationalNetwork['intake']>> = [];
      for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
        const m = await jsm.streams.getMessage(NATIONAL_INTAKE_STREAM, { seq });
        if (m)
          out.push({
            subject: m.subject,
            body: JSON.parse(new TextDecoder().decode(m.data)) as (typeof out)[number]['body'],
          });
      }
      return out;
    },
    dispose: async () => {
      await nc.close();
      await server.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
