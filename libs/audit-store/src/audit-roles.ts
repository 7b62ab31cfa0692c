/**
 * The database roles of an audit store. Roles are cluster-wide, so their names carry the schema: parallel
 * test schemas (and two stores in one cluster) never share a role. All are NOLOGIN group roles; a deployment
 * grants them to its login users.
 */
export interface AuditRoles {
  /** Owns the tables; may run migrations and retention, but the triggers still refuse UPDATE/DELETE/TRUNCATE. */
  owner: string;
  /** The chain writer: INSERT, plus SELECT to read the head of the chain and skip stored event ids. */
  writer: string;
  /** Read-only: SELECT. */
  auditor: string;
}

/** PostgreSQL truncates identifiers beyond 63 bytes, which would make two schemas share a role. */
const MAX_IDENTIFIER_BYTES = 63;

/** The role names of the audit store in `schema`, for example `msx_writer`. */
export function auditRoles(schema: string): AuditRoles {
  const roles = { owner: `${schema}_owner`, writer: `${schema}_writer`, auditor: `${schema}_auditor` };
  for (const name of Object.values(roles)) {
    if (Buffer.byteLength(name) > MAX_IDENTIFIER_BYTES)
      throw new Error(
        `role name ${name} is longer than ${MAX_IDENTIFIER_BYTES} bytes: shorten the schema name`,
      );
  }
  return roles;
}
