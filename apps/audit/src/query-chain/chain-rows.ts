import type { DataSource } from 'typeorm';

/** What the chain's verification reads of the trail besides the rows it verifies: where it starts, and when. */
export class ChainRows {
  private readonly schema: string;

  constructor(private readonly ds: DataSource) {
    this.schema = (ds.options as { schema?: string }).schema ?? 'public';
  }

  /** The first remaining row's seq (older rows may have been dropped by retention), or undefined when empty. */
  async firstSeq(): Promise<bigint | undefined> {
    const [row] = await this.query<{ seq: string | null }>(
      `SELECT min(seq)::text AS seq FROM "${this.schema}"."audit_entry"`,
    );
    return row?.seq ? BigInt(row.seq) : undefined;
  }

  /** When row `seq` was recorded, RFC 3339 in UTC with microseconds. */
  async recordedAtOf(seq: bigint): Promise<string | undefined> {
    const [row] = await this.query<{ at: string }>(
      `SELECT to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at
         FROM "${this.schema}"."audit_entry" WHERE seq = $1::int8 LIMIT 1`,
      [seq.toString()],
    );
    return row?.at;
  }

  /** Whether the trail holds the event `eventId` from `publisher` (its id is kept even after retention). */
  async holdsEvent(publisher: string, eventId: string): Promise<boolean> {
    const rows = await this.query<{ one: number }>(
      `SELECT 1 AS one FROM "${this.schema}"."audit_event_id" WHERE publisher = $1 AND event_id = $2::uuid`,
      [publisher, eventId],
    );
    return rows.length > 0;
  }

  private query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return this.ds.query<T[]>(sql, params);
  }
}
