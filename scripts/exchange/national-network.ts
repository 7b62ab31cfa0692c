import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { stringify } from 'yaml';
import { freePort, startNatsServer, type OwnedServer } from '#process-kit';

/** The stream of a local exchange's national network that keeps what every contact point dispatched. */
export const NATIONAL_INTAKE_STREAM = 'NATIONAL_INTAKE';

/** The subject of one authority of one contact point on the local national network. */
export const nationalSubject = (node: string, authority: string) => `national.${node}.${authority}`;

/**
 * The authorities every contact point of a local exchange dispatches to, one of each kind, with the types of
 * its kind (prosecution: route reports and analysis products).
 */
export const LOCAL_AUTHORITIES = [
  { id: 'border-guard', kind: 'border-guard', name: 'Border guard' },
  { id: 'coast-guard', kind: 'coast-guard', name: 'Coast guard' },
  { id: 'police', kind: 'police', name: 'Police' },
  { id: 'fiu', kind: 'financial-intelligence-unit', name: 'Financial intelligence unit' },
  { id: 'prosecution', kind: 'prosecution', name: 'Prosecution', types: ['routeReport', 'analysisProduct'] },
] as const;

export interface NationalNetwork {
  url: string;
  /** MSX_DISPATCH_FILE of a contact point. */
  fileOf(node: string): string;
  /** Starts its nats-server and provisions the intake stream. */
  start(): Promise<OwnedServer>;
}

/**
 * The national side of a local exchange: a nats-server of its own (no link to the exchange's broker, as a
 * member state's network has none) whose stream keeps what the contact points dispatch, and an
 * MSX_DISPATCH_FILE per contact point naming its authorities on it. `npm start` and the end-to-end tests run
 * it, so a dispatch there is a real one, accepted by a stream, and can be read back. The files are written
 * at once (so the contact points' configuration can be checked before anything starts); the server when
 * {@link NationalNetwork.start} is called.
 */
export async function prepareNationalNetwork(opts: {
  /** Where the dispatch files are written. */
  dir: string;
  contactPoints: readonly string[];
  /** JetStream storage; a temporary folder when omitted. */
  storeDir?: string;
  ownProcessGroup?: boolean;
}): Promise<NationalNetwork> {
  const port = await freePort();
  const url = `nats://127.0.0.1:${port}`;
  const fileOf = (node: string) => join(opts.dir, `${node}.yaml`);
  mkdirSync(opts.dir, { recursive: true });
  for (const node of opts.contactPoints) {
    const file = {
      authorities: LOCAL_AUTHORITIES.map((a) => ({
        ...a,
        name: `${a.name} (${node}, local exchange)`,
        nats: { url, subject: nationalSubject(node, a.id) },
      })),
      retry: { reportAfter: 5, firstDelayMs: 500, maxDelayMs: 30_000, timeoutMs: 5_000 },
    };
    writeFileSync(
      fileOf(node),
      `# Generated at start: ${node}'s national authorities on the local national network.\n${stringify(file)}`,
    );
  }
  const start = async () => {
    const server = await startNatsServer({
      port,
      storeDir: opts.storeDir,
      ownProcessGroup: opts.ownProcessGroup,
    });
    try {
      const nc = await connect({ servers: url, name: 'msx-national-network' });
      try {
        const jsm = await jetstreamManager(nc);
        const config = { name: NATIONAL_INTAKE_STREAM, subjects: ['national.>'] };
        await jsm.streams.add(config).catch(() => jsm.streams.update(NATIONAL_INTAKE_STREAM, config));
      } finally {
        await nc.close();
      }
    } catch (err) {
      await server.dispose();
      throw err;
    }
    return server;
  };
  return { url, fileOf, start };
}
