import type { MigrationInterface, QueryRunner } from 'typeorm';
import { schemaOf } from '../schema.js';

/**
 * Audit identity per publisher (DESIGN §4): an event is (authenticated publisher, event id), so no party can
 * make another publisher's event be skipped as already stored by taking its event id first.
 *
 * - `audit_entry.publisher`: who published the event (the last token of `msx.audit.<publisher>`); null for
 *   the rows stored before this migration, which keep the chain format v1. New rows are chained in format v2,
 *   which covers the publisher.
 * - `audit_event_id` is keyed by (publisher, event_id). The ids stored before get the publisher `''`, which no
 *   subject token can be: the writer treats them as taken for every publisher, so an event redelivered across
 *   this upgrade is still stored once, and no one can add to them any more.
 *
 * Only columns and a key change: no row is updated, so the append-only triggers stay as they are; the new
 * column reaches every partition, present and future, through the partitioned parent.
 */
export class AuditIdentityPerPublisher1764500000000 implements MigrationInterface {
  name = 'AuditIdentityPerPublisher1764500000000';

  async up(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    await q.query(`ALTER TABLE "${s}"."audit_entry" ADD COLUMN "publisher" text`);
    // A constant default fills the existing ids without rewriting or updating a row.
    await q.query(`ALTER TABLE "${s}"."audit_event_id" ADD COLUMN "publisher" text NOT NULL DEFAULT ''`);
    await q.query(`ALTER TABLE "${s}"."audit_event_id" ALTER COLUMN "publisher" DROP DEFAULT`);
    await q.query(`ALTER TABLE "${s}"."audit_event_id" DROP CONSTRAINT "PK_audit_event_id"`);
    await q.query(
      `ALTER TABLE "${s}"."audit_event_id" ADD CONSTRAINT "PK_audit_event_id" PRIMARY KEY ("publisher", "event_id")`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    const [chained] = (await q.query(
      `SELECT count(*)::text AS n FROM "${s}"."audit_entry" WHERE publisher IS NOT NULL`,
    )) as { n: string }[];
    // Their hashes cover the publisher: without the column they could no longer be verified.
    if (chained.n !== '0')
      throw new Error(
        `cannot undo: ${chained.n} audit rows are chained with their publisher (format v2) and would no longer verify`,
      );
    await q.query(`ALTER TABLE "${s}"."audit_event_id" DROP CONSTRAINT "PK_audit_event_id"`);
    await q.query(`ALTER TABLE "${s}"."audit_event_id" DROP COLUMN "publisher"`);
    await q.query(
      `ALTER TABLE "${s}"."audit_event_id" ADD CONSTRAINT "PK_audit_event_id" PRIMARY KEY ("event_id")`,
    );
    await q.query(`ALTER TABLE "${s}"."audit_entry" DROP COLUMN "publisher"`);
  }
}
