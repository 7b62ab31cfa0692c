import type { MigrationInterface, QueryRunner } from 'typeorm';

const schemaOf = (q: QueryRunner): string => (q.connection.options as { schema?: string }).schema ?? 'public';

/**
 * The gateway's credentials: one row per token issued, stored by the token's SHA-256 digest only. Rows are
 * never deleted: a revoked or expired credential stays, so the trail's names keep resolving.
 */
export class CreateCredentials1766200000000 implements MigrationInterface {
  name = 'CreateCredentials1766200000000';

  async up(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    await q.query(`
      CREATE TABLE "${s}"."credential" (
        "id" uuid NOT NULL,
        "token_sha256" bytea NOT NULL,
        "person" text NOT NULL,
        "node" text NOT NULL,
        "role" text NOT NULL,
        "issued_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        "issued_by" text NOT NULL,
        "revoked_at" TIMESTAMP WITH TIME ZONE,
        "revoked_by" text,
        CONSTRAINT "PK_credential" PRIMARY KEY ("id"),
        CONSTRAINT "UQ_credential_token" UNIQUE ("token_sha256"),
        CONSTRAINT "CK_credential_role" CHECK ("role" IN ('officer', 'system', 'auditor', 'admin')),
        CONSTRAINT "CK_credential_digest" CHECK (octet_length("token_sha256") = 32),
        CONSTRAINT "CK_credential_expiry" CHECK ("expires_at" > "issued_at"),
        CONSTRAINT "CK_credential_revocation" CHECK (("revoked_at" IS NULL) = ("revoked_by" IS NULL))
      )`);
    await q.query(`CREATE INDEX "ix_credential_person" ON "${s}"."credential" ("person")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "${schemaOf(q)}"."credential"`);
  }
}
