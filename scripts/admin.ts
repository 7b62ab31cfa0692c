/**
 * `npm run admin -- <command>`: administers the people and systems who may use the gateway.
 *
 *   issue  --person <node>.<name> --role officer|system|auditor|admin --as <administrator> [--node <node>]
 *          [--expires 90d|12h|<ISO time>]
 *   revoke --id <credential id> --as <administrator> [--reason "<text>"]
 *   list   [--node <node>]
 *
 * Works on the audit store in MSX_DATABASE_URL / MSX_DATABASE_SCHEMA, or the running `npm start`'s, and on
 * its credentials schema (MSX_CREDENTIALS_SCHEMA, `<schema>_credentials` by default). Issuing and revoking
 * are recorded in the audit trail (`administered`) in the same transaction as the change. The token is
 * printed once, on standard output, and stored nowhere but as its SHA-256 digest.
 */
import { loadConfig, optionalStr, str } from '#config';
import { createAuditDataSource, AuditRepository, openAuditStore } from '#audit-store';
import { loadDirectory } from '#directory';
import { parseArgs } from './audit-cli.js';
import { auditDatabase } from './exchange/audit-database.js';
import {
  CredentialRequestError,
  CredentialStore,
  defaultCredentialSchema,
  isCredentialRole,
  parseExpiry,
  type Credential,
} from '#identity';

const USAGE = `usage:
  npm run admin -- issue --person <node>.<name> --role officer|system|auditor|admin --as <administrator>
                         [--node <node>] [--expires 90d|12h|30m|<ISO time>]
  npm run admin -- revoke --id <credential id> --as <administrator> [--reason "<text>"]
  npm run admin -- list [--node <node>]`;

const say = (line: string) => process.stderr.write(`${line}\n`);

const one = (values: Map<string, string[]>, name: string): string | undefined => {
  const all = values.get(name);
  if (all && all.length > 1) throw new CredentialRequestError(name, 'once', 'may be given only once');
  return all?.[0];
};

const required = (values: Map<string, string[]>, name: string, what: string): string => {
  const value = one(values, name);
  if (value === undefined) throw new CredentialRequestError(name, 'required', `is required: ${what}`);
  return value;
};

function state(c: Credential, nowMs: number): string {
  if (c.revokedAt) return `revoked ${c.revokedAt.toISOString()} by ${c.revokedBy}`;
  if (c.expiresAt.getTime() <= nowMs) return `expired ${c.expiresAt.toISOString()}`;
  return `valid until ${c.expiresAt.toISOString()}`;
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const config = loadConfig({
    MSX_CREDENTIALS_SCHEMA: optionalStr(),
    MSX_DIRECTORY_FILE: str('deploy/directory.yaml'),
  });
  const db = auditDatabase();
  const credentialSchema = config.MSX_CREDENTIALS_SCHEMA ?? defaultCredentialSchema(db.schema);
  const known = {
    issue: { values: ['person', 'role', 'as', 'node', 'expires'], flags: [] },
    revoke: { values: ['id', 'as', 'reason'], flags: [] },
    list: { values: ['node'], flags: [] },
  } as const;
  if (!(command in known)) throw new Error(`unknown command ${command}\n${USAGE}`);
  const args = parseArgs(rest, known[command as keyof typeof known]);
  const nowMs = Date.now();

  if (command === 'list') {
    const store = await CredentialStore.open({ url: db.url, schema: credentialSchema, poolSize: 1 });
    try {
      const node = one(args.values, 'node');
      const all = await store.list(node);
      say(`credentials in ${credentialSchema} (${db.source}): ${all.length}`);
      for (const c of all)
        process.stdout.write(
          `${c.id}  ${c.role.padEnd(7)}  ${c.person}  node ${c.node}  ${state(c, nowMs)}\n`,
        );
    } finally {
      await store.close();
    }
    return;
  }

  // Refuse a bad request before touching the database.
  const by = required(args.values, 'as', 'the administrator acting, as <organisation>.<name>');
  let issue: Parameters<CredentialStore['issue']>[0] | undefined;
  if (command === 'issue') {
    const person = required(args.values, 'person', 'whom the credential is for, as <node>.<name>');
    const role = required(args.values, 'role', 'officer, system, auditor or admin');
    if (!isCredentialRole(role))
      throw new CredentialRequestError(
        'role',
        'credentialRole',
        'must be one of officer, system, auditor, admin',
      );
    const expires = one(args.values, 'expires');
    issue = {
      person,
      node: one(args.values, 'node') ?? person.slice(0, Math.max(person.indexOf('.'), 0)),
      role,
      issuedBy: by,
      ...(expires !== undefined ? { expiresAt: parseExpiry(expires, nowMs) } : {}),
    };
  }
  const directory = loadDirectory(config.MSX_DIRECTORY_FILE);

  await openAuditStore({ url: db.url, schema: db.schema }).then((ds) => ds.destroy());
  const auditDs = createAuditDataSource({ url: db.url, schema: db.schema, poolSize: 1 });
  await auditDs.initialize();
  const store = await CredentialStore.open({ url: db.url, schema: credentialSchema, poolSize: 1 });
  try {
    const audit = new AuditRepository(auditDs);
    if (issue) {
      const { credential, token } = await store.issue(
        issue,
        audit,
        (id) => directory.party(id) !== undefined,
        nowMs,
      );
      say(
        `issued ${credential.role} credential ${credential.id} to ${credential.person} (node ${credential.node}), ` +
          `${state(credential, nowMs)}; recorded in audit trail ${db.schema} (${db.source})`,
      );
      say('the token follows on standard output, once: hand it to its holder, it is stored nowhere');
      process.stdout.write(`${token}\n`);
    } else {
      const id = required(args.values, 'id', 'the credential to revoke (npm run admin -- list shows ids)');
      const revoked = await store.revoke(id, by, audit, one(args.values, 'reason') ?? '', nowMs);
      if (!revoked)
        throw new CredentialRequestError(
          'id',
          'credentialExists',
          `no credential ${id} in ${credentialSchema}`,
        );
      say(
        `revoked ${revoked.role} credential ${revoked.id} of ${revoked.person}; recorded in audit trail ${db.schema}`,
      );
    }
  } finally {
    await store.close();
    await auditDs.destroy();
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`admin: ${(err as Error).message}\n`);
  process.exitCode = 2;
});
