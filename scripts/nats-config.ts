/**
 * `npm run nats:config -- --out deploy/nats/generated [--host 127.0.0.1] [--port 4222]
 * [--store-dir /var/lib/msx/jetstream] [--mtls] [--server-name bus.example.eu …] [--sync-every-write]`:
 * generates the isolated broker from the directory (DESIGN §4, deploy/README.md): an account per party and
 * a core account that owns JetStream, TLS with a private CA, and per principal an NKey seed and a client
 * certificate (mode 0600) to hand to that principal alone. The configuration holds public keys only.
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
  },
});

const config = loadConfig(directorySpec);
const directory = loadDirectory(config.MSX_DIRECTORY_FILE);
const out = resolve(values.out);
const port = Number(values.port);
if (!Number.isInteger(port) || port < 1 || port > 65_535) {
  process.stderr.write(`--port must be a port number, got "${values.port}"\n`);
  process.exit(2);
}
const files = await writeBrokerFiles({
  dir: out,
  nodes: directory.nodeIds(),
  host: values.host,
  port,
  storeDir: values['store-dir'],
  mutualTls: values.mtls,
  serverNames: values['server-name'],
  syncEveryWrite: values['sync-every-write'],
});
process.stdout.write(
  [
    `wrote ${files.configFile}: ${files.users.length} principals, an account per party, TLS${values.mtls ? ' with client certificates required' : ''}`,
    `  seeds:        ${join(out, 'seeds')}/<principal>.nk (mode 0600; give each to its principal alone)`,
    `  certificates: ${join(out, 'tls')} (ca.pem for every client; clients/<principal>.pem and -key.pem)`,
    `  check it:     nats-server -t -c ${files.configFile}`,
    values.host === '127.0.0.1'
      ? '  it listens on 127.0.0.1 only; pass --host 0.0.0.0 to serve other machines'
      : '',
    '',
  ]
    .filter((l) => l !== '')
    .join('\n') + '\n',
);
