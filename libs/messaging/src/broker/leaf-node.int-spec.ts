import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { freePort, waitFor, waitForPort } from '#testing';
import { connectBus, natsAuthOptions, type Bus } from '../connection.js';
import { ensurePostOutbox, openPostOutbox, putInPostOutbox, waitingInPostOutbox } from '../post-outbox.js';
import { Durables, postDomain, Streams, Subjects } from '../subjects.js';
import { provisionBus } from '../topology.js';
import { createBrokerPki } from './certificates.js';
import {
  leafCredentials,
  leafLocalOnly,
  leafRemoteUrl,
  writeLeafNodeConfig,
  type LeafCredentials,
} from './leaf-node.js';
import { brokerUsers, renderNatsServerConfig, type BrokerUser } from './nats-server-config.js';
import { PARTY_JS_API_PREFIX } from './permissions.js';

/**
 * A liaison officer's post abroad runs a leaf node of its own, linked to the hub's leaf port with the post's
 * password and bound there to the post's party account. Proven on real nats-servers: the hub on the generated
 * configuration (an account per party, JetStream in the core account, TLS with client certificates on the
 * leaf port), the post's leaf on its generated configuration, and leaves a post could run instead (wrong
 * password, another party's password, no local permissions at all).
 */
const POST = 'emlo-ne';
const OTHER = 'cp-it';
const NODES = [POST, OTHER];
const enc = new TextEncoder();
const dec = new TextDecoder();
const bin = process.env.NATS_SERVER_BIN ?? 'nats-server';

/** A nats-server of this test, with what it has logged. */
interface Server {
  proc: ChildProcess;
  log: string[];
}

async function startServer(configFile: string, ports: number[]): Promise<Server> {
  const proc = spawn(bin, ['-c', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  const log: string[] = [];
  for (const s of [proc.stdout, proc.stderr]) s.on('data', (b: Buffer) => log.push(b.toString()));
  try {
    for (const port of ports) await waitForPort(port);
  } catch (err) {
    proc.kill('SIGKILL');
    throw new Error(`nats-server ${configFile} did not start: ${log.join('')}`, { cause: err });
  }
  return { proc, log };
}

/** Stops a nats-server and waits until it has exited, so its ports and storage are free. */
async function stopServer(server: Server | undefined): Promise<void> {
  if (!server || server.proc.exitCode !== null || server.proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => server.proc.once('exit', () => resolve()));
  server.proc.kill('SIGTERM');
  await exited;
}

/** Resolves to true when the operation failed: refused by a server, no responders, or never answered. */
const refused = (op: Promise<unknown>) =>
  op.then(
    () => false,
    () => true,
  );

const settle = (nc: NatsConnection) => nc.flush().then(() => new Promise((r) => setTimeout(r, 300)));

/** Message counts of every stream of the exchange, by name. */
async function streamCounts(jsm: JetStreamManager): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for await (const s of jsm.streams.list()) out[s.config.name] = s.state.messages;
  return out;
}

/** How many messages the submit stream holds on a party's submit subject. */
async function submitted(jsm: JetStreamManager, node: string): Promise<number> {
  const info = await jsm.streams.info(Streams.submit, { subjects_filter: Subjects.submit(node) });
  return info.state.subjects?.[Subjects.submit(node)] ?? 0;
}

describe("a post's leaf node, linked to the hub and bound to the post's account", () => {
  let dir: string;
  let users: BrokerUser[];
  let creds: Record<string, LeafCredentials>;
  let hubConfig: string;
  let hubPort: number;
  let hubLeafPort: number;
  let hubHttpPort: number;
  let hub: Server | undefined;
  let leafPort: number;
  let leaf: Server | undefined;
  const others: Server[] = [];
  const open: { close(): Promise<void> }[] = [];
  /** The post's client certificate and the CA, for the link's mutual TLS. */
  const tlsOf = (node: string) => ({
    caFile: join(dir, 'tls', 'ca.pem'),
    certFile: join(dir, 'tls', `${node}.pem`),
    keyFile: join(dir, 'tls', `${node}-key.pem`),
  });
  const hubLeafUrl = () => `nats-leaf://127.0.0.1:${hubLeafPort}`;
  const seedOf = (principal: string) => users.find((u) => u.principal === principal)!.seed;

  /** Connects to the hub's client port as a core principal or a party, with its NKey. */
  const hubClient = async (principal: string) => {
    const nc = await connect({
      servers: `nats://127.0.0.1:${hubPort}`,
      timeout: 3_000,
      reconnect: false,
      ...natsAuthOptions({ principal, nkeySeed: seedOf(principal) }),
    });
    open.push(nc);
    return nc;
  };
  const admin = async () => jetstreamManager(await hubClient('msx-admin'));

  /** Connects to a leaf's local port: as the post with its NKey, or with no credentials (a leaf without auth). */
  const leafClient = async (port: number, principal?: string) => {
    const nc = await connect({
      servers: `nats://127.0.0.1:${port}`,
      timeout: 3_000,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      ...(principal ? natsAuthOptions({ principal, nkeySeed: seedOf(principal) }) : {}),
    });
    open.push(nc);
    return nc;
  };

  /** The leaf connections the hub holds, with the account each is bound to (monitoring `/leafz`). */
  const hubLeafs = async () => {
    const res = await fetch(`http://127.0.0.1:${hubHttpPort}/leafz`);
    const body = (await res.json()) as { leafs?: { name?: string; account: string }[] };
    return body.leafs ?? [];
  };

  /** Waits until a client of a leaf reaches the post's own inbox consumer at the hub: the link is up. */
  const linkUp = (nc: NatsConnection, node: string, apiPrefix = PARTY_JS_API_PREFIX) =>
    waitFor(
      () =>
        jetstream(nc, { apiPrefix, timeout: 500 })
          .consumers.get(Streams.inbox(node), Durables.inbox(node))
          .then(() => true),
      `the leaf link of ${node}`,
      20_000,
    );

  /**
   * Starts a leaf a post could run instead of the generated one: the same link to the hub with any
   * credentials, and no local authorization or permissions at all.
   */
  const startUnfencedLeaf = async (name: string, user: string, password: string, tlsNode: string) => {
    const port = await freePort();
    const file = join(dir, `${name}.conf`);
    const t = tlsOf(tlsNode);
    writeFileSync(
      file,
      `server_name: ${JSON.stringify(name)}
host: "127.0.0.1"
port: ${port}
leafnodes {
  remotes: [
    {
      url: ${JSON.stringify(leafRemoteUrl(hubLeafUrl(), user, password))}
      tls { ca_file: ${JSON.stringify(t.caFile)}, cert_file: ${JSON.stringify(t.certFile)}, key_file: ${JSON.stringify(t.keyFile)} }
    }
  ]
}
`,
      { mode: 0o600 },
    );
    const server = await startServer(file, [port]);
    others.push(server);
    return { server, port };
  };

  const startHub = async () => {
    hub = await startServer(hubConfig, [hubPort, hubLeafPort, hubHttpPort]);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'msx-leaf-'));
    users = brokerUsers(NODES);
    creds = {
      [POST]: await leafCredentials(POST),
      [OTHER]: await leafCredentials(OTHER),
    };
    // The broker's PKI: the hub's certificate, and a client certificate per post for the leaf link.
    const pki = await createBrokerPki({ principals: NODES });
    mkdirSync(join(dir, 'tls'), { mode: 0o700 });
    writeFileSync(join(dir, 'tls', 'ca.pem'), pki.ca.certPem);
    writeFileSync(join(dir, 'tls', 'server.pem'), pki.server.certPem);
    writeFileSync(join(dir, 'tls', 'server-key.pem'), pki.server.keyPem, { mode: 0o600 });
    for (const n of NODES) {
      writeFileSync(join(dir, 'tls', `${n}.pem`), pki.clients.get(n)!.certPem);
      writeFileSync(join(dir, 'tls', `${n}-key.pem`), pki.clients.get(n)!.keyPem, { mode: 0o600 });
    }

    [hubPort, hubLeafPort, hubHttpPort, leafPort] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    hubConfig = join(dir, 'hub.conf');
    writeFileSync(
      hubConfig,
      renderNatsServerConfig({
        host: '127.0.0.1',
        port: hubPort,
        storeDir: join(dir, 'js'),
        users,
        leafnodes: {
          port: hubLeafPort,
          posts: NODES.map((post) => ({ post, passwordHash: creds[post].passwordHash })),
          tls: {
            certFile: join(dir, 'tls', 'server.pem'),
            keyFile: join(dir, 'tls', 'server-key.pem'),
            caFile: join(dir, 'tls', 'ca.pem'),
            verifyClients: true,
          },
        },
        // Monitoring, to see which account the hub bound each leaf to.
      }) + `http: "127.0.0.1:${hubHttpPort}"\n`,
    );
    await startHub();
    const router = await hubClient('msx-router');
    await provisionBus(await jetstreamManager(router), NODES);
    const js = jetstream(router);
    for (const n of NODES)
      for (let i = 0; i < 2; i++)
        await js.publish(Subjects.deliver(n), enc.encode(`for ${n} #${i}`), { msgID: `${n}-${i}` });

    mkdirSync(join(dir, 'post'), { mode: 0o700 });
    const file = writeLeafNodeConfig(join(dir, 'post', 'leaf.conf'), {
      post: POST,
      localPort: leafPort,
      localNkey: users.find((u) => u.principal === POST)!.publicKey,
      hubLeafUrl: hubLeafUrl(),
      user: creds[POST].user,
      password: creds[POST].password,
      tls: tlsOf(POST),
      jetstream: { storeDir: join(dir, 'post', 'jetstream') },
    });
    leaf = await startServer(file, [leafPort]);
    await linkUp(await leafClient(leafPort, POST), POST);
  });

  afterAll(async () => {
    await Promise.all(open.map((nc) => nc.close().catch(() => undefined)));
    for (const s of [...others, leaf, hub]) await stopServer(s);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('writes a hub configuration with bcrypt hashes only, and a leaf configuration for the post alone', async () => {
    const hubText = readFileSync(hubConfig, 'utf8');
    for (const n of NODES) {
      expect(hubText).toContain(creds[n].passwordHash);
      expect(hubText).not.toContain(creds[n].password);
    }
    const leafFile = join(dir, 'post', 'leaf.conf');
    expect(readFileSync(leafFile, 'utf8')).toContain(creds[POST].password);
    expect(statSync(leafFile).mode & 0o777).toBe(0o600);
    for (const file of [hubConfig, leafFile]) {
      const check = spawn(bin, ['-t', '-c', file]);
      expect(await new Promise((r) => check.once('exit', r))).toBe(0);
    }
    // The hub bound the post's leaf to the post's account.
    expect(await hubLeafs()).toEqual([expect.objectContaining({ account: POST })]);
  });

  it("takes a submission from the post's processes through the leaf into the hub's submit stream, with its ack", async () => {
    // The post's bus, exactly as its node app connects (NKey, own inbox prefix, party API prefix): only the URL
    // is the leaf's.
    const bus: Bus = await connectBus({
      servers: `nats://127.0.0.1:${leafPort}`,
      name: 'emlo-ne-app',
      credentials: { principal: POST, nkeySeed: seedOf(POST) },
      connectTimeoutMs: 5_000,
    });
    open.push(bus);
    const jsm = await admin();
    const before = await submitted(jsm, POST);
    const ack = await bus.js.publish(Subjects.submit(POST), enc.encode('route report from Niamey'), {
      msgID: 'emlo-ne-1',
    });
    expect(ack).toMatchObject({ stream: Streams.submit, duplicate: false });
    const stored = await jsm.streams.getMessage(Streams.submit, { seq: ack.seq });
    expect(stored?.subject).toBe(Subjects.submit(POST));
    expect(stored && dec.decode(stored.data)).toBe('route report from Niamey');
    expect(await submitted(jsm, POST)).toBe(before + 1);
  });

  it("lets the post's processes pull and ack their own inbox through the leaf", async () => {
    const nc = await leafClient(leafPort, POST);
    const js = jetstream(nc, { apiPrefix: PARTY_JS_API_PREFIX, timeout: 3_000 });
    const consumer = await js.consumers.get(Streams.inbox(POST), Durables.inbox(POST));
    const m = await consumer.next({ expires: 2_000 });
    expect(m && dec.decode(m.data)).toBe(`for ${POST} #0`);
    expect(await m!.ackAck()).toBe(true);
    // The ack crossed the leaf: the hub's consumer moved on.
    const info = await (await admin()).consumers.info(Streams.inbox(POST), Durables.inbox(POST));
    expect(info.ack_floor.stream_seq).toBe(1);
    expect(info.num_pending).toBe(1);
  });

  it("answers the core account's health request through the leaf", async () => {
    const nc = await leafClient(leafPort, POST);
    nc.subscribe(Subjects.health(POST), {
      callback: (_e, m) => void m.respond(enc.encode('{"ready":true}')),
    });
    await settle(nc);
    const core = await hubClient('msx-admin');
    const answer = await core.request(Subjects.health(POST), new Uint8Array(), { timeout: 3_000 });
    expect(dec.decode(answer.data)).toBe('{"ready":true}');
  });

  it("refuses the post's processes another party's subjects on the leaf itself", async () => {
    const jsm = await admin();
    const before = await streamCounts(jsm);
    const nc = await leafClient(leafPort, POST);
    const errors: string[] = [];
    void (async () => {
      for await (const s of nc.status()) if (s.type === 'error') errors.push(String(s.error));
    })();
    const js = jetstream(nc, { apiPrefix: PARTY_JS_API_PREFIX, timeout: 1_500 });
    expect(
      await refused(js.publish(Subjects.submit(OTHER), enc.encode('as cp-it'), { msgID: 'spoof-1' })),
    ).toBe(true);
    expect(
      await refused(
        js.consumers.get(Streams.inbox(OTHER), Durables.inbox(OTHER)).then((c) => c.next({ expires: 1_000 })),
      ),
    ).toBe(true);
    await settle(nc);
    expect(errors.join('\n')).toMatch(/permissions violation/i);
    expect(await streamCounts(jsm)).toEqual(before);
  });

  it("gives a leaf with the post's password nothing of another party, even with no permissions of its own", async () => {
    // The post controls its own machine: it may run a leaf without the generated limits. The hub's account
    // binding is the fence.
    const jsm = await admin();
    const before = await streamCounts(jsm);
    const otherConsumer = await jsm.consumers.info(Streams.inbox(OTHER), Durables.inbox(OTHER));
    const rogue = await startUnfencedLeaf('unfenced-emlo-ne', POST, creds[POST].password, POST);
    try {
      const nc = await leafClient(rogue.port);
      await linkUp(nc, POST);
      for (const apiPrefix of [PARTY_JS_API_PREFIX, '$JS.API']) {
        const js = jetstream(nc, { apiPrefix, timeout: 1_000 });
        for (const subject of [
          Subjects.submit(OTHER),
          Subjects.audit(OTHER),
          Subjects.deliver(OTHER),
          Subjects.deliver(POST),
          Subjects.ledger('item', 'x'),
        ])
          expect({ subject, refused: await refused(js.publish(subject, enc.encode('spoof'))) }).toEqual({
            subject,
            refused: true,
          });
        expect(
          await refused(
            js.consumers
              .get(Streams.inbox(OTHER), Durables.inbox(OTHER))
              .then((c) => c.next({ expires: 1_000 })),
          ),
        ).toBe(true);
        expect(
          await refused(
            nc.request(
              `${apiPrefix}.CONSUMER.MSG.NEXT.${Streams.inbox(OTHER)}.${Durables.inbox(OTHER)}`,
              enc.encode(JSON.stringify({ batch: 1, no_wait: true })),
              { timeout: 1_000 },
            ),
          ),
        ).toBe(true);
      }
      await settle(nc);
      const after = await streamCounts(jsm);
      expect(after).toEqual(before);
      expect(await jsm.consumers.info(Streams.inbox(OTHER), Durables.inbox(OTHER))).toMatchObject({
        delivered: otherConsumer.delivered,
        num_pending: otherConsumer.num_pending,
      });

      // Listening to everything, it hears what reaches the post's account (a health check), and no new
      // delivery to cp-it.
      const seen: string[] = [];
      nc.subscribe('>', { callback: (_e, m) => void seen.push(`${m.subject} ${dec.decode(m.data)}`) });
      await settle(nc);
      const core = await hubClient('msx-admin');
      core.publish(Subjects.health(POST), enc.encode('are you there'));
      await jetstream(core).publish(Subjects.deliver(OTHER), enc.encode(`for ${OTHER} #2`), {
        msgID: `${OTHER}-2`,
      });
      await settle(nc);
      await settle(core);
      expect(seen).toEqual([`${Subjects.health(POST)} are you there`]);
    } finally {
      await stopServer(rogue.server);
    }
  });

  it("refuses a leaf with the post's user name and a wrong password", async () => {
    const jsm = await admin();
    const before = await submitted(jsm, POST);
    const port = await freePort();
    mkdirSync(join(dir, 'wrong'), { mode: 0o700 });
    const file = writeLeafNodeConfig(join(dir, 'wrong', 'leaf.conf'), {
      post: POST,
      localPort: port,
      localNkey: users.find((u) => u.principal === POST)!.publicKey,
      hubLeafUrl: hubLeafUrl(),
      user: POST,
      password: (await leafCredentials(POST, 10)).password,
      tls: tlsOf(POST),
    });
    const wrong = await startServer(file, [port]);
    others.push(wrong);
    try {
      // The hub says no, in the leaf's own log, and keeps only the post's real leaf.
      await waitFor(
        async () => (/authorization violation/i.test(wrong.log.join('')) ? true : undefined),
        'the refusal in the leaf log',
      );
      expect(await hubLeafs()).toEqual([expect.objectContaining({ account: POST })]);
      const nc = await leafClient(port, POST);
      const js = jetstream(nc, { apiPrefix: PARTY_JS_API_PREFIX, timeout: 1_500 });
      expect(await refused(js.publish(Subjects.submit(POST), enc.encode('through a refused leaf')))).toBe(
        true,
      );
      nc.publish(Subjects.submit(POST), enc.encode('through a refused leaf, no ack'));
      await settle(nc);
      expect(await submitted(jsm, POST)).toBe(before);
    } finally {
      await stopServer(wrong);
    }
  });

  it("binds a leaf logging in as cp-it to cp-it's account, whatever the leaf is configured to do", async () => {
    const jsm = await admin();
    const beforePost = await submitted(jsm, POST);
    const beforeOther = await submitted(jsm, OTHER);
    const rogue = await startUnfencedLeaf('unfenced-cp-it', OTHER, creds[OTHER].password, OTHER);
    try {
      const nc = await leafClient(rogue.port);
      await linkUp(nc, OTHER);
      expect((await hubLeafs()).map((l) => l.account).sort()).toEqual([OTHER, POST]);

      const js = jetstream(nc, { apiPrefix: PARTY_JS_API_PREFIX, timeout: 1_500 });
      // It acts as cp-it: its submission lands on cp-it's subject …
      const ack = await js.publish(Subjects.submit(OTHER), enc.encode('from the cp-it leaf'), {
        msgID: 'cp-it-leaf-1',
      });
      expect((await jsm.streams.getMessage(Streams.submit, { seq: ack.seq }))?.subject).toBe(
        Subjects.submit(OTHER),
      );
      // … and never as emlo-ne.
      expect(
        await refused(js.publish(Subjects.submit(POST), enc.encode('as emlo-ne'), { msgID: 'spoof-2' })),
      ).toBe(true);
      nc.publish(Subjects.submit(POST), enc.encode('as emlo-ne, no ack'));
      expect(
        await refused(
          js.consumers.get(Streams.inbox(POST), Durables.inbox(POST)).then((c) => c.next({ expires: 1_000 })),
        ),
      ).toBe(true);
      await settle(nc);
      expect(await submitted(jsm, POST)).toBe(beforePost);
      expect(await submitted(jsm, OTHER)).toBe(beforeOther + 1);
    } finally {
      await stopServer(rogue.server);
    }
  });

  it("keeps the post's outbox in the leaf's own JetStream, under the post's domain, and not at the hub", async () => {
    const nc = await leafClient(leafPort, POST);
    const outbox = await openPostOutbox(nc, POST);
    const info = await outbox.jsm.getAccountInfo();
    expect(info.domain).toBe(postDomain(POST));
    await ensurePostOutbox(outbox.jsm, POST);
    // Made again by a later start: the same declaration, nothing changes.
    await ensurePostOutbox(outbox.jsm, POST);
    const jsm = await admin();
    const before = await streamCounts(jsm);
    const first = await putInPostOutbox(outbox, POST, 'outbox-1', enc.encode('report 1'));
    expect(first).toMatchObject({ stream: Streams.postOutbox, domain: postDomain(POST), duplicate: false });
    // The officer's command run twice stores it once.
    expect(await putInPostOutbox(outbox, POST, 'outbox-1', enc.encode('report 1'))).toMatchObject({
      duplicate: true,
    });
    await putInPostOutbox(outbox, POST, 'outbox-2', enc.encode('report 2'));
    expect(await waitingInPostOutbox(outbox.jsm, POST)).toBe(2);
    // Taken in the order stored; an envelope leaves the leaf once taken.
    const consumer = await outbox.js.consumers.get(Streams.postOutbox, Durables.postIntake);
    const m = await consumer.next({ expires: 2_000 });
    expect(m && dec.decode(m.data)).toBe('report 1');
    expect(await m!.ackAck()).toBe(true);
    expect(await waitingInPostOutbox(outbox.jsm, POST)).toBe(1);
    // The hub holds none of it: no stream of the outbox, no message anywhere.
    expect(await streamCounts(jsm)).toEqual(before);
    expect(Object.keys(before)).not.toContain(Streams.postOutbox);
  });

  it("lets no one at the hub reach the leaf's JetStream, and lets the post's processes only use their outbox", async () => {
    // The leaf registers none of its local-only subjects at the hub: nothing there could reach them.
    const res = await fetch(`http://127.0.0.1:${hubHttpPort}/leafz?subs=1`);
    const body = (await res.json()) as { leafs?: { account: string; subscriptions_list?: string[] }[] };
    const subs = body.leafs?.find((l) => l.account === POST)?.subscriptions_list ?? [];
    expect(subs.length).toBeGreaterThan(0);
    const local = leafLocalOnly(POST).map((s) => s.replace(/\.>$/, ''));
    expect(subs.filter((sub) => local.some((l) => sub === l || sub.startsWith(`${l}.`)))).toEqual([]);
    expect(subs.filter((sub) => sub.startsWith('$JS.') && !sub.startsWith('$JS.ACK.'))).toEqual([]);

    // A second leaf logged in as the post, with no limits of its own, sits in the post's account at the hub,
    // where the post's leaf would have registered its JetStream without the deny lists: it gets no answer, and
    // nothing published on the outbox subject there reaches the post's outbox.
    const rogue = await startUnfencedLeaf('unfenced-outbox-probe', POST, creds[POST].password, POST);
    try {
      const probe = await leafClient(rogue.port);
      await linkUp(probe, POST);
      for (const subject of [
        `$JS.${postDomain(POST)}.API.INFO`,
        `$JS.${postDomain(POST)}.API.STREAM.INFO.${Streams.postOutbox}`,
        '$JS.API.INFO',
      ])
        expect({
          subject,
          refused: await refused(probe.request(subject, new Uint8Array(), { timeout: 1_000 })),
        }).toEqual({
          subject,
          refused: true,
        });
      probe.publish(Subjects.postOutbox(POST), enc.encode('planted from the hub'));
      await settle(probe);
    } finally {
      await stopServer(rogue.server);
    }
    const hubNames = await (await admin()).streams.names().next();
    expect(hubNames).not.toContain(Streams.postOutbox);

    // On the leaf, the post's processes may not delete or purge their outbox, nor ask the leaf anything else.
    const nc = await leafClient(leafPort, POST);
    const outbox = await openPostOutbox(nc, POST);
    const api = `$JS.${postDomain(POST)}.API`;
    for (const subject of [
      `${api}.STREAM.DELETE.${Streams.postOutbox}`,
      `${api}.STREAM.PURGE.${Streams.postOutbox}`,
      // Changing it could drop reports (a limit of one message, discard old): made once, never changed.
      `${api}.STREAM.UPDATE.${Streams.postOutbox}`,
      `${api}.STREAM.NAMES`,
      `$JS.API.STREAM.DELETE.${Streams.postOutbox}`,
      `$JS.API.STREAM.LIST`,
    ])
      expect(await refused(nc.request(subject, new Uint8Array(), { timeout: 1_000 }))).toBe(true);
    expect(await waitingInPostOutbox(outbox.jsm, POST)).toBe(1);
    // The outbox subject itself is the post's own: at the hub the post may not publish there.
    const atHub = await hubClient(POST);
    const errors: string[] = [];
    void (async () => {
      for await (const st of atHub.status()) if (st.type === 'error') errors.push(String(st.error));
    })();
    atHub.publish(Subjects.postOutbox(POST), enc.encode('from the hub'));
    await settle(atHub);
    expect(errors.join('\n')).toMatch(/permissions violation/i);
    expect(await waitingInPostOutbox(outbox.jsm, POST)).toBe(1);
  });

  it('delivers nothing while the hub is down, and the leaf links up again by itself when it is back', async () => {
    const nc = await leafClient(leafPort, POST);
    const js = jetstream(nc, { apiPrefix: PARTY_JS_API_PREFIX, timeout: 1_000 });
    let jsm = await admin();
    const before = await submitted(jsm, POST);
    // Core connections end with the hub; the post's processes stay connected to their leaf.
    await Promise.all(
      open
        .splice(0)
        .filter((c) => c !== nc)
        .map((c) => c.close().catch(() => undefined)),
    );
    open.push(nc);
    await stopServer(hub);
    await waitFor(
      () =>
        refused(js.consumers.get(Streams.inbox(POST), Durables.inbox(POST))).then((down) =>
          down ? true : undefined,
        ),
      'the leaf to lose its link',
    );
    expect(
      await refused(js.publish(Subjects.submit(POST), enc.encode('while down'), { msgID: 'down-1' })),
    ).toBe(true);
    nc.publish(Subjects.submit(POST), enc.encode('while down, no ack'));
    await nc.flush();
    expect(nc.isClosed()).toBe(false);
    // The post's outbox on its leaf keeps taking reports while the hub cannot be reached.
    const outbox = await openPostOutbox(nc, POST);
    const waiting = await waitingInPostOutbox(outbox.jsm, POST);
    expect(await putInPostOutbox(outbox, POST, 'down-outbox-1', enc.encode('written offline'))).toMatchObject(
      {
        stream: Streams.postOutbox,
        duplicate: false,
      },
    );
    expect(await waitingInPostOutbox(outbox.jsm, POST)).toBe(waiting + 1);

    await startHub();
    jsm = await admin();
    // Nothing published while the link was down was kept for later.
    expect(await submitted(jsm, POST)).toBe(before);
    // The leaf comes back on its own; the same message id makes the retries one submission.
    const ack = await waitFor(
      () => js.publish(Subjects.submit(POST), enc.encode('after the hub is back'), { msgID: 'up-1' }),
      'a publish through the relinked leaf',
      30_000,
    );
    expect(ack.stream).toBe(Streams.submit);
    expect(await submitted(jsm, POST)).toBe(before + 1);
    const last = await jsm.streams.getMessage(Streams.submit, { last_by_subj: Subjects.submit(POST) });
    expect(last && dec.decode(last.data)).toBe('after the hub is back');
    expect(await hubLeafs()).toEqual([expect.objectContaining({ account: POST })]);
  });
});
