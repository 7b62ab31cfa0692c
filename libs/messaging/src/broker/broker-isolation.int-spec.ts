import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, nkeyAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { freePort, waitForPort } from '#testing';
import { natsAuthOptions } from '../connection.js';
import { publishDurably } from '../publisher.js';
import { Streams, Subjects } from '../subjects.js';
import { provisionBus } from '../topology.js';
import { writeBrokerFiles, type BrokerFiles } from './broker-files.js';
import { type BrokerUser } from './nats-server-config.js';
import {
  inboxPrefixOf,
  isCorePrincipal,
  PARTY_JS_API_PREFIX,
  RESPONSE_WINDOW_MS,
  servicePermissions,
} from './permissions.js';

/**
 * Broker-level isolation (DESIGN §4), proven on a real nats-server started on the generated configuration:
 * an account per party, one core account that owns JetStream, TLS with client certificates. A party's
 * credentials cannot read another party's inbox by any path, cannot speak for another party, and cannot make
 * the broker store anything anywhere except through its own submit and audit subjects — whatever subject,
 * reply subject or header it uses. The same attacks are run against the former single-account design, to
 * show that the tests catch the leak.
 */
const NODES = ['cp-it', 'cp-gr'];
const enc = new TextEncoder();

interface Broker {
  url: string;
  server: ChildProcess;
  /** Connects as a principal with its own credentials. */
  as(principal: string): Promise<NatsConnection>;
  /** JetStream API prefix a party's client uses on this broker. */
  partyApiPrefix: string;
}

async function startBroker(
  dir: string,
  config: (port: number) => Promise<string>,
): Promise<Omit<Broker, 'as'>> {
  const port = await freePort();
  const file = await config(port);
  const server = spawn(process.env.NATS_SERVER_BIN ?? 'nats-server', ['-c', file], { stdio: 'ignore' });
  await waitForPort(port);
  return { url: `nats://127.0.0.1:${port}`, server, partyApiPrefix: PARTY_JS_API_PREFIX };
}

/** Stops a nats-server and waits until it has exited, so its storage is no longer written to. */
async function stopServer(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  server.kill('SIGTERM');
  await exited;
}

/** Counts of every stream of the exchange, by name. */
async function streamCounts(jsm: JetStreamManager): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for await (const s of jsm.streams.list()) out[s.config.name] = s.state.messages;
  return out;
}

const settle = (nc: NatsConnection) => nc.flush().then(() => new Promise((r) => setTimeout(r, 300)));

/**
 * Attack class 1 of the issue: as party `cp-it`, make the broker publish its answers onto subjects that
 * streams capture — another party's inbox and submit subjects, the router's audit subject, the checkpoint
 * subject, the ledger — through its own submit subject, a pull of its own consumer, and a JetStream API call.
 */
async function replySubjectInjection(nc: NatsConnection, apiPrefix: string): Promise<void> {
  const targets = [
    Subjects.deliver('cp-gr'),
    Subjects.submit('cp-gr'),
    Subjects.audit('msx-router'),
    Subjects.checkpointAudit,
    Subjects.ledger('item', 'someone-elses-item'),
  ];
  const ownConsumer = `${apiPrefix}.CONSUMER.MSG.NEXT.${Streams.inbox('cp-it')}.inbox-cp-it`;
  const ownInfo = `${apiPrefix}.CONSUMER.INFO.${Streams.inbox('cp-it')}.inbox-cp-it`;
  for (const reply of targets) {
    nc.publish(Subjects.submit('cp-it'), enc.encode('harmless'), { reply });
    nc.publish(ownConsumer, enc.encode(JSON.stringify({ batch: 1, no_wait: true })), { reply });
    nc.publish(ownInfo, new Uint8Array(), { reply });
    nc.publish(`${apiPrefix}.INFO`, new Uint8Array(), { reply });
  }
  await settle(nc);
}

describe('broker isolation on the generated nats-server configuration (accounts, TLS)', () => {
  let dir: string;
  let broker: Broker;
  let files: BrokerFiles;
  const open: NatsConnection[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'msx-isolation-'));
    const started = await startBroker(dir, async (port) => {
      files = await writeBrokerFiles({
        dir,
        nodes: NODES,
        port,
        storeDir: join(dir, 'js'),
        mutualTls: true,
      });
      return files.configFile;
    });
    broker = {
      ...started,
      as: async (principal) => {
        const f = files.principals.get(principal)!;
        const nc = await connect({
          servers: started.url,
          timeout: 3_000,
          ...natsAuthOptions({
            principal,
            nkeySeed: (await import('node:fs')).readFileSync(f.seedFile, 'utf8').trim(),
            tls: { caFile: f.caFile, certFile: f.certFile, keyFile: f.keyFile },
          }),
        });
        open.push(nc);
        return nc;
      },
    };
    const router = await broker.as('msx-router');
    await provisionBus(await jetstreamManager(router), NODES);
    const js = jetstream(router);
    for (const n of NODES) {
      for (let i = 0; i < 3; i++)
        await publishDurably(js, Subjects.deliver(n), enc.encode(`for ${n} #${i}`), { msgID: `${n}-${i}` });
    }
  });

  afterAll(async () => {
    await Promise.all(open.map((nc) => nc.close().catch(() => undefined)));
    if (broker) await stopServer(broker.server);
    rmSync(dir, { recursive: true, force: true });
  });

  /** Resolves to true when the operation failed: refused by the server or never answered. */
  const refused = (op: Promise<unknown>) =>
    op.then(
      () => false,
      () => true,
    );

  it('passes nats-server -t', async () => {
    const check = spawn(process.env.NATS_SERVER_BIN ?? 'nats-server', ['-t', '-c', files.configFile]);
    expect(await new Promise((r) => check.once('exit', r))).toBe(0);
  });

  it('listens on 127.0.0.1 unless told otherwise, and requires TLS with client certificates', async () => {
    const text = (await import('node:fs')).readFileSync(files.configFile, 'utf8');
    expect(text).toMatch(/^host: "127\.0\.0\.1"$/m);
    expect(text).toMatch(/verify: true/);
    // Without a client certificate the handshake fails, even with a valid NKey.
    const f = files.principals.get('cp-it')!;
    const seed = (await import('node:fs')).readFileSync(f.seedFile, 'utf8').trim();
    await expect(
      connect({
        servers: broker.url,
        timeout: 2_000,
        authenticator: nkeyAuthenticator(enc.encode(seed)),
        tls: { caFile: f.caFile },
        reconnect: false,
      }),
    ).rejects.toThrow();
    // Without TLS at all, the broker refuses the connection too.
    await expect(
      connect({
        servers: broker.url,
        timeout: 2_000,
        authenticator: nkeyAuthenticator(enc.encode(seed)),
        reconnect: false,
      }),
    ).rejects.toThrow();
  });

  it('lets a party read and ack its own inbox through its own consumer, and submit as itself', async () => {
    const nc = await broker.as('cp-it');
    const js = jetstream(nc, { apiPrefix: PARTY_JS_API_PREFIX });
    const consumer = await js.consumers.get(Streams.inbox('cp-it'), 'inbox-cp-it');
    const m = await consumer.next({ expires: 2_000 });
    expect(new TextDecoder().decode(m!.data)).toBe('for cp-it #0');
    expect(await m!.ackAck()).toBe(true);
    await expect(
      js.publish(Subjects.submit('cp-it'), new Uint8Array([1]), { msgID: 's1' }),
    ).resolves.toMatchObject({ stream: Streams.submit });
  });

  it("cannot pull from another party's consumer or its witness consumer", async () => {
    const nc = await broker.as('cp-it');
    for (const prefix of [PARTY_JS_API_PREFIX, '$JS.API']) {
      const js = jetstream(nc, { apiPrefix: prefix, timeout: 1_500 });
      expect(
        await refused(
          js.consumers.get(Streams.inbox('cp-gr'), 'inbox-cp-gr').then((c) => c.next({ expires: 1_000 })),
        ),
      ).toBe(true);
      expect(
        await refused(
          js.consumers.get(Streams.checkpoints, 'witness-cp-gr').then((c) => c.next({ expires: 1_000 })),
        ),
      ).toBe(true);
    }
  });

  it('cannot create consumers, get messages, or read account-wide JetStream information', async () => {
    const nc = await broker.as('cp-it');
    for (const apiPrefix of [PARTY_JS_API_PREFIX, '$JS.API']) {
      const jsm = await jetstreamManager(nc, { timeout: 1_500, apiPrefix, checkAPI: false });
      expect(
        await refused(
          jsm.consumers.add(Streams.inbox('cp-gr'), { durable_name: 'spy', ack_policy: 'explicit' }),
        ),
      ).toBe(true);
      expect(await refused(jsm.consumers.add(Streams.inbox('cp-it'), { ack_policy: 'none' }))).toBe(true);
      expect(await refused(jsm.streams.getMessage(Streams.inbox('cp-gr'), { seq: 1 }))).toBe(true);
      expect(await refused(jsm.direct.getMessage(Streams.inbox('cp-gr'), { seq: 1 }))).toBe(true);
      expect(await refused(jsm.direct.getMessage(Streams.ledger, { seq: 1 }))).toBe(true);
      expect(await refused(jsm.getAccountInfo())).toBe(true);
      expect(await refused(jsm.streams.names().next())).toBe(true);
      expect(await refused(jsm.consumers.list(Streams.inbox('cp-it')).next())).toBe(true);
    }
  });

  it("cannot subscribe to another party's subjects, _INBOX.> or everything, and sees nothing of the core account", async () => {
    const nc = await broker.as('cp-it');
    const violations: string[] = [];
    void (async () => {
      for await (const s of nc.status()) if (s.type === 'error') violations.push(String(s.error));
    })();
    for (const subject of [
      Subjects.deliver('cp-gr'),
      '_INBOX.>',
      `${inboxPrefixOf('cp-gr')}.>`,
      '>',
      '$JS.>',
    ]) {
      const sub = nc.subscribe(subject);
      const closed = sub.closed.then(
        () => 'closed',
        (err: unknown) => String(err),
      );
      await nc.flush();
      expect(
        await Promise.race([closed, new Promise((r) => setTimeout(() => r('still open'), 1_000))]),
      ).not.toBe('still open');
    }
    expect(violations.join('\n')).toMatch(/permissions violation/i);
  });

  it('cannot submit, record audit events or dead letters as another party, or write into core subjects', async () => {
    const admin = await jetstreamManager(await broker.as('msx-admin'));
    const before = await streamCounts(admin);
    const nc = await broker.as('cp-it');
    const js = jetstream(nc, { apiPrefix: PARTY_JS_API_PREFIX, timeout: 1_500 });
    for (const subject of [
      Subjects.submit('cp-gr'),
      Subjects.audit('cp-gr'),
      Subjects.audit('msx-router'),
      Subjects.deadLetter('cp-it'),
      Subjects.deliver('cp-gr'),
      Subjects.checkpointAudit,
      Subjects.ledger('item', 'x'),
    ]) {
      expect(await refused(js.publish(subject, new Uint8Array([1]), { msgID: `spoof-${subject}` }))).toBe(
        true,
      );
    }
    expect(await streamCounts(admin)).toEqual(before);
  });

  it('stores nothing anywhere when a party aims reply subjects at core subjects (attack class 1)', async () => {
    const admin = await jetstreamManager(await broker.as('msx-admin'));
    const before = await streamCounts(admin);
    await replySubjectInjection(await broker.as('cp-it'), PARTY_JS_API_PREFIX);
    const after = await streamCounts(admin);
    // Only cp-it's own submissions (four "harmless" ones, one per target) were stored, on its own subject.
    expect(after[Streams.submit]).toBe(before[Streams.submit] + 5);
    for (const name of Object.keys(before).filter((n) => n !== Streams.submit))
      expect({ name, count: after[name] }).toEqual({ name, count: before[name] });
  });

  it("lets the core account reach a party's health subject, and nothing else of its account", async () => {
    const party = await broker.as('cp-gr');
    party.subscribe('msx.health.cp-gr', {
      callback: (_e, m) => void m.respond(enc.encode('{"ready":true}')),
    });
    const secret = party.subscribe('msx.private.cp-gr');
    await party.flush();
    const admin = await broker.as('msx-admin');
    const answer = await admin.request('msx.health.cp-gr', new Uint8Array(), { timeout: 2_000 });
    expect(new TextDecoder().decode(answer.data)).toBe('{"ready":true}');
    admin.publish('msx.private.cp-gr', enc.encode('x'));
    await settle(admin);
    expect(secret.getProcessed()).toBe(0);
  });

  it("lets a core service answer a request of another core principal, under that principal's inbox", async () => {
    // Core services answer by name, not through the broker's reply bookkeeping (which would remember each of
    // the thousands of deliveries a second they consume).
    const audit = await broker.as('msx-audit');
    audit.subscribe('msx.status.audit.request', { callback: (_e, m) => void m.respond(enc.encode('up')) });
    await audit.flush();
    for (const asker of ['msx-router', 'msx-gateway', 'msx-admin']) {
      const nc = await broker.as(asker);
      const answer = await nc.request('msx.status.audit.request', new Uint8Array(), { timeout: 2_000 });
      expect({ asker, answer: new TextDecoder().decode(answer.data) }).toEqual({ asker, answer: 'up' });
    }
  });

  it('lets only the gateway ask the router where a party stands towards an item, never a party itself', async () => {
    const router = await broker.as('msx-router');
    let asked = 0;
    router.subscribe(Subjects.routerQuery.item, {
      callback: (_e, m) => {
        asked++;
        m.respond(enc.encode('{"found":false}'));
      },
    });
    await router.flush();
    const gateway = await broker.as('msx-gateway');
    const answer = await gateway.request(Subjects.routerQuery.item, enc.encode('{}'), { timeout: 2_000 });
    expect(new TextDecoder().decode(answer.data)).toBe('{"found":false}');
    // A party naming any node it likes would learn where every item went: its account cannot reach the router.
    const party = await broker.as('cp-it');
    await expect(
      party.request(Subjects.routerQuery.item, enc.encode('{"node":"cp-gr","messageId":"x"}'), {
        timeout: 1_000,
      }),
    ).rejects.toThrow();
    // The audit service may not ask either: only the gateway speaks for a party.
    const audit = await broker.as('msx-audit');
    await expect(
      audit.request(Subjects.routerQuery.item, enc.encode('{}'), { timeout: 1_000 }),
    ).rejects.toThrow();
    expect(asked).toBe(1);
  });

  it('lets a party answer a request once, and only within the response window', async () => {
    // cp-it: the test above leaves a responder on cp-gr's health subject, and a request crossing into a
    // party's account takes only its first answer. Answers carry the request's text all the same.
    const party = await broker.as('cp-it');
    const late: (() => void)[] = [];
    party.subscribe('msx.health.cp-it', {
      callback: (_e, m) => {
        const asked = new TextDecoder().decode(m.data);
        m.respond(enc.encode(`${asked}:first`));
        m.respond(enc.encode(`${asked}:second`));
        late.push(() => void m.respond(enc.encode(`${asked}:late`)));
      },
    });
    await party.flush();
    const admin = await broker.as('msx-admin');
    const got: string[] = [];
    admin.subscribe('_INBOX_msx-admin.window', {
      callback: (_e, m) => {
        const text = new TextDecoder().decode(m.data);
        if (text.startsWith('probe-')) got.push(text);
      },
    });
    admin.publish('msx.health.cp-it', enc.encode('probe-1'), { reply: '_INBOX_msx-admin.window' });
    await settle(admin);
    expect(got).toEqual(['probe-1:first']);

    admin.publish('msx.health.cp-it', enc.encode('probe-2'), { reply: '_INBOX_msx-admin.window' });
    await settle(admin);
    await new Promise((r) => setTimeout(r, RESPONSE_WINDOW_MS + 500));
    late[1]();
    await party.flush();
    await settle(admin);
    expect(got).toEqual(['probe-1:first', 'probe-2:first']);
    await party.close();
  });

  it('keeps the party principals apart from the core account', () => {
    for (const u of files.users) expect(u.account).toBe(isCorePrincipal(u.principal) ? 'MSX' : u.principal);
  });
});

/**
 * The former design — every principal in one account, each limited by subject permissions only — runs the
 * same attack. The reply subjects are not checked, so the broker writes into other parties' streams: the
 * test above would catch the leak.
 */
describe('the reply-subject attack against a single-account broker (the leak the tests must catch)', () => {
  let dir: string;
  let server: ChildProcess;
  let url: string;
  let users: BrokerUser[];
  const open: NatsConnection[] = [];

  const as = async (principal: string) => {
    const u = users.find((x) => x.principal === principal)!;
    const nc = await connect({
      servers: url,
      authenticator: nkeyAuthenticator(enc.encode(u.seed)),
      inboxPrefix: inboxPrefixOf(principal),
      timeout: 3_000,
    });
    open.push(nc);
    return nc;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'msx-weak-'));
    const { brokerUsers } = await import('./nats-server-config.js');
    users = brokerUsers(NODES);
    const started = await startBroker(dir, async (port) => {
      const list = (s: string[]) => `[${s.map((x) => JSON.stringify(x)).join(', ')}]`;
      const rights = (u: BrokerUser) =>
        isCorePrincipal(u.principal)
          ? u.principal === 'msx-admin'
            ? { publish: ['>'], subscribe: ['>'] }
            : u.principal === 'msx-router'
              ? servicePermissions('router')
              : { publish: ['>'], subscribe: ['>'] }
          : {
              // The former node permissions: own subjects and own consumer's API, nothing else.
              publish: [
                Subjects.submit(u.principal),
                Subjects.audit(u.principal),
                '$JS.API.INFO',
                `$JS.API.CONSUMER.INFO.${Streams.inbox(u.principal)}.inbox-${u.principal}`,
                `$JS.API.CONSUMER.MSG.NEXT.${Streams.inbox(u.principal)}.inbox-${u.principal}`,
                `$JS.ACK.${Streams.inbox(u.principal)}.inbox-${u.principal}.>`,
              ],
              subscribe: [`${inboxPrefixOf(u.principal)}.>`],
            };
      const file = join(dir, 'weak.conf');
      writeFileSync(
        file,
        `port: ${port}\nhost: "127.0.0.1"\njetstream { store_dir: ${JSON.stringify(join(dir, 'js'))} }\nauthorization { users = [\n${users
          .map((u) => {
            const r = rights(u);
            return `{ nkey: ${u.publicKey}, permissions: { publish: { allow: ${list(r.publish)} }, subscribe: { allow: ${list(r.subscribe)} }, allow_responses: true } }`;
          })
          .join('\n')}\n] }\n`,
      );
      return file;
    });
    server = started.server;
    url = started.url;
    const router = await as('msx-router');
    await provisionBus(await jetstreamManager(router), NODES);
    await publishDurably(jetstream(router), Subjects.deliver('cp-it'), enc.encode('for cp-it'), {
      msgID: 'a',
    });
  });

  afterAll(async () => {
    await Promise.all(open.map((nc) => nc.close().catch(() => undefined)));
    if (server) await stopServer(server);
    rmSync(dir, { recursive: true, force: true });
  });

  it("lets the broker write into another party's inbox and the audit stream", async () => {
    const admin = await jetstreamManager(await as('msx-admin'));
    const before = await streamCounts(admin);
    await replySubjectInjection(await as('cp-it'), '$JS.API');
    const after = await streamCounts(admin);
    expect(after[Streams.inbox('cp-gr')]).toBeGreaterThan(before[Streams.inbox('cp-gr')]);
    expect(after[Streams.audit]).toBeGreaterThan(before[Streams.audit]);
  });
});
