/**
 * `npm run nats:config -- --out deploy/nats/generated [--port 4222] [--store-dir /var/lib/msx/jetstream]
 * [--sync-every-write]`: generates the nats-server configuration from the directory, one NKey user per node
 * and core service limited to its own subjects (DESIGN §4). Writes `nats-server.conf` (public keys only) and
 * one seed file per principal under `seeds/` (mode 0600) to hand to that principal alone.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { directorySpec, loadConfig } from '#config';
import { loadDirectory } from '#directory';
import { brokerUsers, renderNatsServerConfig } from '#messaging';

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: 'deploy/nats/generated' },
    host: { type: 'string', default: '0.0.0.0' },
    port: { type: 'string', default: '4222' },
    'store-dir': { type: 'string', default: '/var/lib/msx/jetstream' },
    'sync-every-write': { type: 'boolean', default: false },
  },
});

const config = loadConfig(directorySpec);
const directory = loadDirectory(config.MSX_DIRECTORY_FILE);
const out = resolve(values.out);
const users = brokerUsers(directory.nodeIds());
mkdirSync(join(out, 'seeds'), { recursive: true, mode: 0o700 });
writeFileSync(
  join(out, 'nats-server.conf'),
  renderNatsServerConfig({
    host: values.host,
    port: Number(values.port),
    storeDir: values['store-dir'],
    users,
    syncEveryWrite: values['sync-every-write'],
  }),
);
for (const u of users) {
  const file = join(out, 'seeds', `${u.principal}.nk`);
  writeFileSync(file, `${u.seed}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
}
process.stdout.write(
  `wrote ${join(out, 'nats-server.conf')} and ${users.length} seeds in ${join(out, 'seeds')} (keep them secret)\n`,
);
