import { DataSource, type EntityManager } from 'typeorm';
import { createSchemaIfMissing, isTransientStorageError, type AuditRepository } from '#audit-store';
import { ADMIN_PRINCIPAL, AuditOperation, MsxError, newAuditEvent, uuidv7 } from '#contracts';
import {
  checkIssueRequest,
  checkRevokeRequest,
  newToken,
  tokenDigest,
  type Credential,
  type CredentialRole,
  type IssueRequest,
} from './credential.js';
import { CreateCredentials1766200000000 } from './migrations/1766200000000-create-credentials.js';

/** The audit rules of an administrator's acts on credentials. */
export const CREDENTIAL_ISSUED = 'ADMIN.CREDENTIAL_ISSUED';
export const CREDENTIAL_REVOKED = 'ADMIN.CREDENTIAL_REVOKED';

/** A schema name as PostgreSQL takes it unquoted. */
const SCHEMA = /^[a-z_][a-z0-9_]{0,62}$/;

/** The credentials schema of an audit store's schema, unless configured otherwise. */
export const defaultCredentialSchema = (auditSchema: string): string => `${auditSchema}_credentials`;

interface CredentialRow {
  id: string;
  person: string;
  node: string;
  role: CredentialRole;
  issued_at: Date;
  expires_at: Date;
  issued_by: string;
  revoked_at: Date | null;
  revoked_by: string | null;
}

const COLUMNS = `id, person, node, role, issued_at, expires_at, issued_by, revoked_at, revoked_by`;

const fromRow = (r: CredentialRow): Credential => ({
  id: r.id,
  person: r.person,
  node: r.node,
  role: r.role,
  issuedAt: r.issued_at,
  expiresAt: r.expires_at,
  issuedBy: r.issued_by,
  revokedAt: r.revoked_at,
  revokedBy: r.revoked_by,
});

/** What an administrator's act records in the audit trail: who did what to which credential, never a token. */
function adminEvent(rule: string, actor: string, c: Credential, nowMs: number, justification = '') {
  return {
    publisher: ADMIN_PRINCIPAL,
    event: newAuditEvent(
      {
        eventId: uuidv7(),
        operation: AuditOperation.ADMINISTERED,
        actorNode: ADMIN_PRINCIPAL,
        actorPerson: actor,
        counterpartNode: c.node,
        rule,
        justification,
        detailJson: JSON.stringify({
          credential: c.id,
          person: c.person,
          role: c.role,
          expiresAt: c.expiresAt.toISOString(),
        }),
      },
      nowMs,
    ),
  };
}

/**
 * The gateway's credentials in PostgreSQL, in a schema of their own beside the audit store: each issued to
 * one person (or system), bound to one node and one role, stored only as the token's digest, with an
 * expiry. Issuing and revoking write the credential and its audit row in one transaction, so neither
 * exists without the other.
 */
export class CredentialStore {
  private constructor(
    private readonly ds: DataSource,
    readonly schema: string,
  ) {}

  /** Creates the schema if needed, applies pending migrations and opens the store. */
  static async open(opts: { url: string; schema: string; poolSize?: number }): Promise<CredentialStore> {
    if (!SCHEMA.test(opts.schema))
      throw new Error(`credentials schema must be a lowercase SQL identifier, got "${opts.schema}"`);
    await createSchemaIfMissing(opts.url, opts.schema);
    const ds = new DataSource({
      type: 'postgres',
      url: opts.url,
      schema: opts.schema,
      entities: [],
      migrations: [CreateCredentials1766200000000],
      migrationsTableName: 'credentials_migrations',
      synchronize: false,
      migrationsRun: false,
      logging: false,
      extra: { max: opts.poolSize ?? 4, connectionTimeoutMillis: 5_000 },
    });
    await ds.initialize();
    try {
      await ds.runMigrations({ transaction: 'each' });
    } catch (err) {
      await ds.destroy();
      throw err;
    }
    return new CredentialStore(ds, opts.schema);
  }

  async close(): Promise<void> {
    if (this.ds.isInitialized) await this.ds.destroy();
  }

  private get table(): string {
    return `"${this.schema}"."credential"`;
  }

  /**
   * Issues a credential and records it in the audit trail, in one transaction.
   * @param isNode whether a node id is a party of the directory
   * @returns the credential and its token: the only time the token exists outside its holder's hands
   * @throws CredentialRequestError for a request that breaks a rule, before anything is written
   */
  async issue(
    req: IssueRequest,
    audit: AuditRepository,
    isNode: (id: string) => boolean,
    nowMs = Date.now(),
  ): Promise<{ credential: Credential; token: string }> {
    const expiresAt = checkIssueRequest(req, nowMs, isNode);
    const token = newToken();
    const credential: Credential = {
      id: uuidv7(),
      person: req.person,
      node: req.node,
      role: req.role,
      issuedAt: new Date(nowMs),
      expiresAt,
      issuedBy: req.issuedBy,
      revokedAt: null,
      revokedBy: null,
    };
    await this.ds.transaction(async (m) => {
      await m.query(
        `INSERT INTO ${this.table} (id, token_sha256, person, node, role, issued_at, expires_at, issued_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [
          credential.id,
          tokenDigest(token),
          credential.person,
          credential.node,
          credential.role,
          credential.issuedAt,
          credential.expiresAt,
          credential.issuedBy,
        ],
      );
      // Last: the audit append switches the transaction to the chain writer's role.
      await this.audited(m, audit, adminEvent(CREDENTIAL_ISSUED, req.issuedBy, credential, nowMs));
    });
    return { credential, token };
  }

  /**
   * Revokes a credential at once and records it in the audit trail, in one transaction.
   * @returns the credential as revoked, or undefined when no such credential exists
   * @throws CredentialRequestError for an administrator or reason that breaks a rule, before anything is written
   * @throws Error when it was revoked already (its first revocation stands)
   */
  async revoke(
    id: string,
    by: string,
    audit: AuditRepository,
    reason = '',
    nowMs = Date.now(),
  ): Promise<Credential | undefined> {
    checkRevokeRequest(by, reason);
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)) return undefined;
    return this.ds.transaction(async (m) => {
      const [row] = await m.query<CredentialRow[]>(
        `SELECT ${COLUMNS} FROM ${this.table} WHERE id = $1 FOR UPDATE`,
        [id],
      );
      if (!row) return undefined;
      if (row.revoked_at !== null)
        throw new Error(
          `credential ${id} was revoked already, at ${row.revoked_at.toISOString()} by ${row.revoked_by}`,
        );
      const revokedAt = new Date(nowMs);
      await m.query(`UPDATE ${this.table} SET revoked_at = $2, revoked_by = $3 WHERE id = $1`, [
        id,
        revokedAt,
        by,
      ]);
      const credential = { ...fromRow(row), revokedAt, revokedBy: by };
      await this.audited(m, audit, adminEvent(CREDENTIAL_REVOKED, by, credential, nowMs, reason));
      return credential;
    });
  }

  private async audited(
    m: EntityManager,
    audit: AuditRepository,
    event: ReturnType<typeof adminEvent>,
  ): Promise<void> {
    const { inserted } = await audit.appendIn(m, [event]);
    if (inserted !== 1) throw new Error(`the audit row ${event.event.eventId} was not recorded`);
  }

  /** Resolves when the database answers. */
  async ping(): Promise<void> {
    await this.ds.query('SELECT 1');
  }

  /** Every credential, newest first, optionally of one node; never a token. */
  async list(node?: string): Promise<Credential[]> {
    const rows = await this.ds.query<CredentialRow[]>(
      `SELECT ${COLUMNS} FROM ${this.table} WHERE $1::text IS NULL OR node = $1 ORDER BY issued_at DESC, id DESC`,
      [node ?? null],
    );
    return rows.map(fromRow);
  }

  /**
   * The credential a token digest belongs to, revoked and expired ones included (the caller decides).
   * @throws MsxError `GATEWAY.CREDENTIALS_UNAVAILABLE` (503) while the database is away
   */
  async byDigest(digest: Buffer): Promise<Credential | undefined> {
    try {
      const [row] = await this.ds.query<CredentialRow[]>(
        `SELECT ${COLUMNS} FROM ${this.table} WHERE token_sha256 = $1`,
        [digest],
      );
      return row ? fromRow(row) : undefined;
    } catch (err) {
      if (isTransientStorageError(err))
        throw new MsxError('GATEWAY.CREDENTIALS_UNAVAILABLE', 'credentials cannot be checked now', {
          cause: err,
        });
      throw err;
    }
  }
}
