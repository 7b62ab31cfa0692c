import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startNatsServer, type OwnedServer } from '#process-kit';
import { startSecureCluster, waitFor, type SecureCluster } from '#testing';
import { connectBus, type Bus } from '../connection.js';
import { writeBrokerFiles } from './broker-files.js';
import { publishDurably } from '../publisher.js';
import { Subjects } from '../subjects.js';
import { submitStream, ensureStream } from '../topology.js';

const POST = 'emlo-ne';

/** Routes a server on monitoring port `monitor` has open now. */
async function routesOf(monitor: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${monitor}/routez`);
  return ((await res.json()) as { num_routes: number }).num_routes;
}

/**
 * The generated cluster (`npm run nats:config -- --cluster-server …`): three servers with the accounts, the
 * client TLS and the NKeys of the one-server broker, routed to each other over mutual TLS with a route CA of
 * their own. The exchange's streams keep three copies on it, and nobody but its servers joins its routes: a
 * route sees every account, so a party's client certificate (signed by the broker CA) must not open one.
 */
describe('the generated NATS cluster', () => {
  let cluster: SecureCluster;
  let admin: Bus;
  const strangers: OwnedServer[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'msx-route-stranger-'));

  beforeAll(async () => {
    cluster = await startSecureCluster({ nodes: ['cp-it', 'cp-gr', POST], leafPosts: [POST] });
    admin = await cluster.connectAs('msx-admin');
  }, 90_000);

  afterAll(async () => {
    await Promise.all(strangers.map((s) => s.stop()));
    await admin?.close();
    await cluster?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('forms one cluster whose streams keep a copy on each server, and a party submits on it', async () => {
    expect(await ensureStream(admin.jsm, submitStream(), 3)).toBe(3);
    const info = await admin.jsm.streams.info(submitStream().name);
    const holders = [info.cluster!.leader!, ...(info.cluster!.replicas ?? []).map((r) => r.name)];
    expect(holders.sort()).toEqual(cluster.servers.map((s) => s.name).sort());
    // A party reaches the core account's stream through its own account's import, on whichever server.
    const party = await cluster.connectAs('cp-it');
    try {
      const ack = await publishDurably(party.js, Subjects.submit('cp-it'), new Uint8Array([1]), {
        msgID: 'cluster-test-1',
      });
      expect(ack.stream).toBe(submitStream().name);
    } finally {
      await party.close();
    }
  });

  /** Waits until every copy of the submit stream is current (the cluster whole again after a disturbance). */
  const submitReplicasCurrent = (what: string, timeoutMs: number) =>
    waitFor(
      () =>
        admin.jsm.streams.info(submitStream().name).then(
          (i) => ((i.cluster?.replicas ?? []).every((r) => r.current) ? true : undefined),
          () => undefined,
        ),
      what,
      timeoutMs,
    );

  /** The route TLS files the generator wrote (`tls/routes/`). */
  const routesDir = () => join(cluster.broker.configFile, '..', '..', 'tls', 'routes');

  /**
   * A server of the stranger's own that opens a route to the cluster with `cert` and `key`; resolves with the
   * routes it holds after the cluster had time to accept or refuse it.
   */
  const routeWith = async (name: string, cert: string, key: string): Promise<number> => {
    const [port, monitor, routePort] = [await freePort(), await freePort(), await freePort()];
    const configFile = join(dir, `${name}.conf`);
    const target = cluster.servers[0];
    writeFileSync(
      configFile,
      [
        `server_name: ${JSON.stringify(name)}`,
        `listen: 127.0.0.1:${port}`,
        `http: 127.0.0.1:${monitor}`,
        'cluster {',
        `  name: "msx-test"`,
        `  listen: 127.0.0.1:${routePort}`,
        `  routes: ["nats-route://127.0.0.1:${target.routePort}"]`,
        // It knows the route CA's certificate (that is no secret) and so trusts the cluster's servers.
        `  tls { cert_file: ${JSON.stringify(cert)}, key_file: ${JSON.stringify(key)}, ca_file: ${JSON.stringify(join(routesDir(), 'ca.pem'))} }`,
        '}',
        '',
      ].join('\n'),
    );
    const server = await startNatsServer({ port, configFile, scheme: 'nats' });
    strangers.push(server);
    // Refused routes are retried every second; joined ones stay. Three seconds see either.
    await new Promise((r) => setTimeout(r, 3_000));
    const routes = await routesOf(monitor);
    await server.stop();
    return routes;
  };

  it('is not generated with fewer than three servers, or with a name used twice', async () => {
    const plan = (names: string[]) =>
      writeBrokerFiles({
        dir: join(dir, 'plans'),
        nodes: ['cp-it'],
        port: 4222,
        storeDir: '/var/lib/msx/jetstream',
        cluster: { servers: names.map((name, i) => ({ name, host: name, routePort: 6222 + i })) },
      });
    await expect(plan(['nats-0', 'nats-1'])).rejects.toThrow(/at least 3 servers.*got 2/);
    await expect(plan(['nats-0', 'nats-1', 'nats-1'])).rejects.toThrow(/must be unique: nats-1/);
    await expect(plan(['nats-0', 'nats-1', 'nats 2'])).rejects.toThrow(/"nats 2" may hold/);
    await expect(plan(['nats-0', 'nats-1', 'ca'])).rejects.toThrow(/"ca" is taken by the route CA/);
    await expect(plan([])).rejects.toThrow(/got 0/);
    await expect(
      writeBrokerFiles({
        dir: join(dir, 'plans'),
        nodes: ['emlo-ne'],
        port: 4222,
        storeDir: '/var/lib/msx/jetstream',
        leaf: { port: 7422, advertise: 'bus.example.eu:7422', posts: [{ post: 'emlo-ne', localPort: 4222 }] },
        cluster: {
          servers: [0, 1, 2].map((i) => ({ name: `nats-${i}`, host: `nats-${i}`, routePort: 6222 })),
        },
      }),
    ).rejects.toThrow(/advertises each server to the leaf nodes at its own address/);
  });

  it("takes the posts' leaf nodes on every server, each advertising itself, and gives a post's leaf them all", async () => {
    const files = await writeBrokerFiles({
      dir: join(dir, 'leaf-plan'),
      nodes: ['emlo-ne', 'cp-it'],
      port: 4222,
      storeDir: '/var/lib/msx/jetstream',
      leaf: { port: 7422, posts: [{ post: 'emlo-ne', localPort: 4222 }] },
      cluster: {
        servers: [0, 1, 2].map((i) => ({ name: `nats-${i}`, host: `nats-${i}.msx`, routePort: 6222 })),
      },
    });
    for (const [i, s] of files.servers.entries()) {
      const text = readFileSync(s.configFile, 'utf8');
      expect(text).toMatch(/^leafnodes \{\n {2}host: "127\.0\.0\.1"\n {2}port: 7422\n/m);
      expect(text).toContain(`advertise: "nats-${i}.msx:7422"`);
    }
    const leafText = readFileSync(files.leaves.get('emlo-ne')!.configFile, 'utf8');
    const urls = /urls: (\[.*\])/.exec(leafText)![1];
    expect((JSON.parse(urls) as string[]).map((u) => new URL(u).host)).toEqual([
      'nats-0.msx:7422',
      'nats-1.msx:7422',
      'nats-2.msx:7422',
    ]);
  });

  it('names its files where the servers read them, when that is not where it writes them', async () => {
    const out = join(dir, 'for-containers');
    const files = await writeBrokerFiles({
      dir: out,
      nodes: ['cp-it'],
      port: 4222,
      storeDir: '/data/jetstream',
      serverDir: '/etc/nats',
      cluster: { servers: [0, 1, 2].map((i) => ({ name: `nats-${i}`, host: `nats-${i}`, routePort: 6222 })) },
    });
    const conf = readFileSync(files.servers[1].configFile, 'utf8');
    expect(conf).toContain('cert_file: "/etc/nats/tls/server.pem"');
    expect(conf).toContain('cert_file: "/etc/nats/tls/routes/nats-1.pem"');
    expect(conf).toContain('ca_file: "/etc/nats/tls/routes/ca.pem"');
    expect(conf).toContain('routes: [\n    "nats-route://nats-0:6222"\n    "nats-route://nats-2:6222"\n  ]');
    expect(conf).not.toContain(out);
  });

  it('leaves no server of the other mode behind when a folder is generated again', async () => {
    const out = join(dir, 'regenerated');
    const base = { dir: out, nodes: ['cp-it'], port: 4222, storeDir: '/var/lib/msx/jetstream' };
    await writeBrokerFiles(base);
    expect(existsSync(join(out, 'nats-server.conf'))).toBe(true);
    const cluster = await writeBrokerFiles({
      ...base,
      cluster: { servers: [0, 1, 2].map((i) => ({ name: `nats-${i}`, host: `nats-${i}`, routePort: 6222 })) },
    });
    expect(existsSync(join(out, 'nats-server.conf'))).toBe(false);
    expect(cluster.servers.map((s) => existsSync(s.configFile))).toEqual([true, true, true]);
    await writeBrokerFiles(base);
    expect(existsSync(join(out, 'cluster'))).toBe(false);
    expect(existsSync(join(out, 'tls', 'routes'))).toBe(false);
  });

  it('refuses a route opened with a party’s client certificate', async () => {
    const party = cluster.broker.principals.get('cp-it')!;
    expect(await routeWith('stranger-party', party.certFile, party.keyFile)).toBe(0);
  });

  it('is the route CA that decides: the same route with a cluster server’s certificate is taken', async () => {
    // The control: were the check above passing for any other reason (a wrong port, a stranger that cannot
    // route at all), this would find no route either.
    const joined = await routeWith(
      'stranger-route-cert',
      join(routesDir(), 'msx-2.pem'),
      join(routesDir(), 'msx-2-key.pem'),
    );
    expect(joined).toBeGreaterThan(0);
    // The cluster is whole again once the stranger is gone.
    await submitReplicasCurrent('the submit stream’s replicas to be current', 30_000);
  });

  it("keeps a post's leaf node linked when its server fails: the leaf moves to another, and the post submits on", async () => {
    const files = cluster.broker.leaves.get(POST)!;
    const lines: string[] = [];
    const leaf = await startNatsServer({
      port: files.localPort,
      storeDir: files.storeDir,
      configFile: files.configFile,
      scheme: 'nats',
      onLine: (line) => lines.push(line),
    });
    const bus = await connectBus({
      servers: files.localUrl,
      name: 'emlo-ne-on-its-leaf',
      credentials: { principal: POST, nkeySeed: cluster.credentialsOf(POST).nkeySeed },
    });
    /** The leaf port of the server the leaf links to now, from the leaf's own log. */
    const linkedTo = () => {
      const line = lines.findLast((l) => /Leafnode connection created/.test(l));
      return line ? Number(/127\.0\.0\.1:(\d+) - lid/.exec(line)?.[1]) : undefined;
    };
    const submit = (id: string) =>
      publishDurably(bus.js, Subjects.submit(POST), new TextEncoder().encode(id), {
        msgID: id,
        timeoutMs: 2_000,
        attempts: 1,
      }).catch(() => undefined);
    try {
      await waitFor(() => submit('leaf-before'), 'a submission through the leaf', 30_000);
      const port = linkedTo();
      const hub = cluster.servers.find((s) => s.leafPort === port);
      expect(hub).toBeDefined();
      await hub!.server.kill();
      // The leaf finds another server of the cluster by itself; the post's submissions are taken again there.
      const ack = await waitFor(
        () => submit('leaf-after'),
        'a submission after its server was killed',
        60_000,
      );
      expect(ack.stream).toBe(submitStream().name);
      const now = linkedTo();
      expect(now).not.toBe(port);
      expect(cluster.servers.map((s) => s.leafPort)).toContain(now);
      await hub!.server.start();
      await submitReplicasCurrent('the killed server current again', 60_000);
      // Each once on the stream, wherever the leaf was linked when it was sent.
      const count = await admin.jsm.streams.info(submitStream().name, {
        subjects_filter: Subjects.submit(POST),
      });
      expect(count.state.subjects?.[Subjects.submit(POST)]).toBe(2);
    } finally {
      await bus.close();
      await leaf.stop();
    }
  });
});
