import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { uuidv7 } from '#contracts';
import { freePort, startNatsServer, type OwnedServer } from '#process-kit';
import {
  createTestSchema,
  startSecureBroker,
  startTcpRelay,
  validRouteReportEnvelope,
  waitFor,
  type SecureBroker,
  type ServiceProcess,
  type TcpRelay,
  type TestSchema,
} from '#testing';
import { auditTrail, exchangeEnv, requireBuild, startLocal, submit } from './support.js';

const run = promisify(execFile);
const POST = 'emlo-ne';
const TOKENS = { 'cp-it': 'cp-it-post-leaf-e2e-token-0123456789abcdef' };

/**
 * A liaison officer's post abroad from outside: its processes reach the exchange through a leaf node of its
 * own, whose link to the hub runs through a relay the test cuts. The officer's reports (`npm run post -- send`)
 * are stored in the outbox on the leaf's own JetStream: while the link is cut, and while the post's node app
 * is down too, the leaf takes them. They arrive once the link is back, in the order written and once each, and
 * the exchange's receipts for them reach the post; an item sent to the post while it is cut off is
 * acknowledged to its originator when the link returns.
 */
describe("a liaison officer's post on its own leaf node", () => {
  let broker: SecureBroker;
  let relay: TcpRelay;
  let leaf: OwnedServer;
  let db: TestSchema;
  let gatewayUrl: string;
  let env: Record<string, string>;
  let audit: ReturnType<typeof auditTrail>;
  const services: ServiceProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'msx-post-'));

  beforeAll(async () => {
    requireBuild();
    const [hubLeafPort, localPort, gatewayPort] = [await freePort(), await freePort(), await freePort()];
    relay = await startTcpRelay(hubLeafPort);
    [broker, db] = await Promise.all([
      startSecureBroker({
        leaf: {
          port: hubLeafPort,
          // The leaf reconnects to the address the hub advertises: the relay, as a post's would be a public name.
          advertise: `127.0.0.1:${relay.port}`,
          posts: [{ post: POST, localPort, hubUrl: `nats-leaf://127.0.0.1:${relay.port}` }],
        },
      }),
      createTestSchema('postleaf'),
    ]);
    leaf = await startNatsServer({ port: localPort, configFile: broker.broker.leaves.get(POST)!.configFile });
    audit = auditTrail(db);
    gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    env = exchangeEnv({ databaseUrl: db.url, schema: db.schema, gatewayPort, tokens: TOKENS });
    services.push(
      ...startLocal(broker, { ...env, MSX_OUTBOX_MAX_BACKOFF_MS: '1000' }, [
        'router',
        'audit',
        'gateway',
        POST,
      ]),
    );
    await Promise.all(services.map((s) => s.waitForLine(/ ready/, 60_000)));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(services.map((s) => s.kill()));
    await leaf?.stop();
    await relay?.close();
    await broker?.dispose();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  /** The post's own environment: its leaf node's URL, its NKey, the outbox on the leaf, its record. */
  const postEnv = () => ({
    ...process.env,
    ...broker.envOf(POST),
    MSX_DATABASE_URL: db.url,
    MSX_DATABASE_SCHEMA: db.schema,
  });

  /** The officer's command: `npm run post -- send <file>`, as the README shows it. */
  async function write(n: number): Promise<string> {
    const json = validRouteReportEnvelope({
      id: uuidv7(),
      createdAt: new Date().toISOString(),
      sender: POST,
      author: `${POST}.officer-1`,
      recipients: ['cp-it'],
    });
    json.routeReport!.narrative = `Report ${n} of the post in Niamey.`;
    const file = join(dir, `report-${n}.json`);
    writeFileSync(file, JSON.stringify(json));
    const { stdout } = await run(process.execPath, ['dist/scripts/post.js', 'send', file], {
      env: postEnv(),
    });
    expect(stdout).toContain(`${json.id} is in the outbox of ${POST} on its leaf node`);
    return json.id;
  }

  /** The post's submissions the router recorded, in the order recorded. */
  const submitted = () =>
    db
      .query<{ message_id: string; message_type: string }>(
        `SELECT message_id, message_type FROM "${db.schema}".audit_entry
          WHERE operation = 'submitted' AND actor_node = $1 ORDER BY seq`,
        [POST],
      )
      .then((rows) => rows.map((r) => `${r.message_type}:${r.message_id}`));

  it('sends a report written while the link is up', async () => {
    const id = await write(1);
    await audit.rowsOf(id, (r) => r.operation === 'submitted', 1);
    expect(await submitted()).toEqual([`routeReport:${id}`]);
  });

  it('keeps the reports written while the link is cut and the node app is down, and sends them in order and once when both are back', async () => {
    const before = await submitted();
    await relay.cut();
    const item = validRouteReportEnvelope({
      id: uuidv7(),
      createdAt: new Date().toISOString(),
      sender: 'cp-it',
      author: 'cp-it.analyst-1',
      recipients: [POST],
    });
    // Meanwhile cp-it sends the post a report: the exchange keeps it in the post's inbox.
    expect(await submit(gatewayUrl, TOKENS['cp-it'], item)).toMatchObject({ status: 202 });
    await audit.rowsOf(item.id, (r) => r.operation === 'delivered' && r.counterpart_node === POST, 1);
    // The post's node app dies as well: only the post's leaf node is left to take the officer's reports.
    const app = services.find((s) => s.name === POST)!;
    await app.kill();
    const written = [await write(2), await write(3), await write(4)];
    // Written twice by a nervous officer: stored once.
    const again = join(dir, 'report-3.json');
    const twice = await run(process.execPath, ['dist/scripts/post.js', 'send', again], { env: postEnv() });
    expect(twice.stdout).toContain(`${written[1]} was already in the outbox of ${POST}`);
    const waitingOnLeaf = await run(process.execPath, ['dist/scripts/post.js', 'status', '--post', POST], {
      env: postEnv(),
    });
    expect(waitingOnLeaf.stdout).toContain("on its leaf node: 3 not yet taken by the post's node app");

    // The node app is back while the link is still cut: it takes the reports into its record, nothing leaves.
    services.splice(services.indexOf(app), 1);
    const back = startLocal(broker, { ...env, MSX_OUTBOX_MAX_BACKOFF_MS: '1000' }, [POST])[0];
    services.push(back);
    for (const id of written)
      await back.waitForLine(new RegExp(`took ${id} from the leaf into the outbox`), 60_000);
    await back.waitForLine(/envelope\(s\) wait in the outbox/, 30_000);
    expect(await submitted()).toEqual(before);

    await relay.restore();
    const after = await waitFor(
      async () => {
        const rows = await submitted();
        return rows.length >= before.length + written.length + 1 ? rows : undefined;
      },
      'the post back online',
      60_000,
    );
    const reports = after.slice(before.length).filter((r) => r.startsWith('routeReport:'));
    expect(reports).toEqual(written.map((id) => `routeReport:${id}`));
    // Each once: the router recorded each submission once and delivered it to each recipient once.
    for (const id of written) {
      expect((await audit.trail(id)).filter((r) => r.operation === 'submitted')).toHaveLength(1);
      const delivered = (await audit.rowsOf(id, (r) => r.operation === 'delivered', 1)).map(
        (r) => r.counterpart_node,
      );
      expect(delivered).toContain('cp-it');
      expect(new Set(delivered).size).toBe(delivered.length);
      // The exchange's receipt for it reached the post.
      await back.waitForLine(new RegExp(`report ${id}: delivered to [^;]*\\bcp-it\\b`), 30_000);
    }
    // The report cp-it sent while the post was cut off is read and acknowledged now, to cp-it alone.
    const [ack] = await waitFor(
      () =>
        db
          .query<{ message_id: string }>(
            `SELECT message_id FROM "${db.schema}".audit_entry
              WHERE operation = 'submitted' AND actor_node = $1 AND message_type = 'acknowledgement'`,
            [POST],
          )
          .then((rows) => (rows.length ? rows : undefined)),
      "the post's acknowledgement",
      30_000,
    );
    const acked = await audit.rowsOf(ack.message_id, (r) => r.operation === 'delivered', 1);
    expect(acked.map((r) => r.counterpart_node)).toEqual(['cp-it']);
    await audit.rowsOf(item.id, (r) => r.operation === 'received' && r.actor_node === POST, 1);
  });

  it('shows the officer what left the outbox, and where the exchange stored it', async () => {
    const res = await run(process.execPath, ['dist/scripts/post.js', 'status', '--post', POST], {
      env: postEnv(),
    });
    expect(res.stdout).toContain(`outbox of ${POST}: 0 waiting`);
    expect(res.stdout).toContain("on its leaf node: 0 not yet taken by the post's node app");
    expect(res.stdout.match(/routeReport .* confirmed .* \(submit stream #\d+/g)).toHaveLength(4);
    expect(res.stdout).toMatch(/acknowledgement .* confirmed/);
  });
});
