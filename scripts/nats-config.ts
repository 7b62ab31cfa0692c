/**
 * `npm run nats:config -- --out deploy/nats/generated [--host 127.0.0.1] [--port 4222]
 * [--store-dir /var/lib/msx/jetstream] [--mtls] [--server-name bus.example.eu …] [--sync-every-write]
 * [--leaf-port 7422 [--leaf-advertise bus.example.eu:7422] [--leaf-local-port 4222]
 *   [--leaf-store-dir /var/lib/msx-post/jetstream]]
 * [--cluster-server nats-0=nats-0.example.eu:6222 --cluster-server nats-1=… --cluster-server nats-2=…]
 * [--server-dir /etc/nats]`:
 * generates the isolated broker from the directory (DESIGN §4, deploy/README.md): an account per party and
 * a core account that owns JetStream, TLS with a private CA, and per principal an NKey seed and a client
 * certificate (mode 0600) to hand to that principal alone. The configuration holds public keys only. With
 * `--leaf-port`, the hub also takes the leaf nodes of the liaison officers' posts, and each post gets the
 * configuration of its own leaf node (`leaf/<post>.conf`, mode 0600: it holds the post's password), whose own
 * JetStream keeps the post's outbox in `--leaf-store-dir` on the post's machine. With
 * `--cluster-server` (three or more), it writes a NATS cluster instead of one server: `cluster/<name>.conf` per
 * server, routed to the others over mutual TLS with a route CA of its own (`tls/routes/`). `--server-dir` is
 * where the servers will read the folder (a container's mount): the configurations name their files there.
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { directorySpec, loadConfig } from '#config';
import { loadDirectory } from '#directory';
import { writeBrokerFiles } from '#messaging';

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: 'deploy/nats/generated' },
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '4222' },
    'store-dir': { type: 'string', default: '/var/lib/msx/jetstream' },
    mtls: { type: 'boolean', default: false },
    'server-name': { type: 'string', multiple: true },
    'sync-every-write': { type: 'boolean', default: false },
    'leaf-port': { type: 'string' },
    'leaf-advertise': { type: 'string' },
    'leaf-local-port': { type: 'string', default: '4222' },
    'leaf-store-dir': { type: 'string', default: '/var/lib/msx-post/jetstream' },
    'cluster-server': { type: 'string', multiple: true },
    'cluster-name': { type: 'string', default: 'msx' },
    'server-dir': { type: 'string' },
  },
});

function portOption(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65_535) {
    process.stderr.write(`--${name} must be a port number, got "${value}"\n`);
    process.exit(2);
  }
  return n;
}

/** `--cluster-server NAME=HOST:ROUTEPORT`. */
function clusterServerOption(value: string): { name: string; host: string; routePort: number } {
  const m = /^([^=]+)=(.+):(\d+)$/.exec(value);
  if (!m) {
    process.stderr.write(
      `--cluster-server must be NAME=HOST:ROUTEPORT (nats-0=nats-0.example.eu:6222), got "${value}"\n`,
    );
    process.exit(2);
  }
  return { name: m[1], host: m[2], routePort: portOption('cluster-server', m[3]) };
}

const config = loadConfig(directorySpec);
const directory = loadDirectory(config.MSX_DIRECTORY_FILE);
const out = resolve(values.out);
const port = portOption('port', values.port);
const posts = directory.parties().filter((p) => p.kind === 'liaison-officer');
const clustered = Boolean(values['cluster-server']?.length);
// On a cluster each server advertises itself to the leaves, and a post's leaf knows every server's leaf port;
// `--leaf-advertise` is then one address in front of them all (a load balancer), which the posts dial.
const leaf = values['leaf-port']
  ? {
      port: portOption('leaf-port', values['leaf-port']),
      advertise: clustered ? undefined : values['leaf-advertise'],
      posts: posts.map((p) => ({
        post: p.id,
        localPort: portOption('leaf-local-port', values['leaf-local-port']),
        hubUrl:
          clustered && !values['leaf-advertise']
            ? undefined
            : `nats-leaf://${values['leaf-advertise'] ?? `${values.host}:${values['leaf-port']}`}`,
        storeDir: values['leaf-store-dir'],
      })),
    }
  : undefined;
const files = await writeBrokerFiles({
  dir: out,
  nodes: directory.nodeIds(),
  host: values.host,
  port,
  storeDir: values['store-dir'],
  mutualTls: values.mtls,
  serverNames: values['server-name'],
  syncEveryWrite: values['sync-every-write'],
  leaf,
  serverDir: values['server-dir'],
  ...(clustered
    ? {
        cluster: {
          name: values['cluster-name'],
          servers: (values['cluster-server'] ?? []).map(clusterServerOption),
        },
      }
    : {}),
});
process.stdout.write(
  [
    files.servers.length
      ? `wrote ${join(out, 'cluster')}/<server>.conf for ${files.servers.map((s) => s.name).join(', ')}: one cluster, routes over mutual TLS (${join(out, 'tls', 'routes')}), ${files.users.length} principals, an account per party, TLS${values.mtls ? ' with client certificates required' : ''}`
      : `wrote ${files.configFile}: ${files.users.length} principals, an account per party, TLS${values.mtls ? ' with client certificates required' : ''}`,
    `  seeds:        ${join(out, 'seeds')}/<principal>.nk (mode 0600; give each to its principal alone)`,
    `  certificates: ${join(out, 'tls')} (ca.pem for every client; clients/<principal>.pem and -key.pem)`,
    `  check it:     nats-server -t -c ${files.configFile}`,
    files.servers.length
      ? `  streams:      run the services with MSX_STREAM_REPLICAS=3, so every stream has a copy on three servers`
      : '',
    leaf
      ? `  leaf nodes:   ${join(out, 'leaf')}/<post>.conf for ${posts.map((p) => p.id).join(', ')} (mode 0600: each holds its post's password)`
      : '',
    values.host === '127.0.0.1'
      ? '  it listens on 127.0.0.1 only; pass --host 0.0.0.0 to serve other machines'
      : '',
    '',
  ]
    .filter((l) => l !== '')
    .join('\n') + '\n',
);
