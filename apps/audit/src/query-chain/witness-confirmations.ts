import { checkpointRecordOf, decodeAuditCheckpoint, nameBasedId, type WitnessConfirmation } from '#contracts';
import type { SignedCheckpoint } from '#audit-store';
import { Durables, Streams, Subjects, type Bus } from '#messaging';
import type { ChainRows } from './chain-rows.js';

/** The durable name of every witness consumer starts with this; the rest is the witness's party id. */
const WITNESS_DURABLE_PREFIX = Durables.witness('');

/**
 * Which witnesses confirmed a checkpoint, read from where the confirmations are kept: each witness takes the
 * checkpoints through its own durable consumer on `MSX_CHECKPOINTS` and acks one only after checking its
 * signature and syncing it to its file (`libs/node-app` CheckpointWitness). A consumer whose ack floor has
 * reached the checkpoint's message has therefore kept it, unless it refused it: a refused checkpoint is
 * acked too (terminated), and the witness records that as a `dead_lettered` audit event whose id names the
 * message, which is looked for in the trail.
 */
export class WitnessConfirmations {
  constructor(
    private readonly bus: Bus,
    private readonly rows: ChainRows,
  ) {}

  /**
   * The witnesses that confirmed `c`, when `c` is the last checkpoint published (the only one whose message
   * is looked up); none while it is not yet published, or when the stream no longer holds it.
   */
  async of(c: SignedCheckpoint): Promise<WitnessConfirmation[]> {
    let seq: number;
    try {
      const msg = await this.bus.jsm.streams.getMessage(Streams.checkpoints, {
        last_by_subj: Subjects.checkpointAudit,
      });
      if (!msg) return [];
      const published = checkpointRecordOf(decodeAuditCheckpoint(msg.data));
      const same =
        published.logId === c.logId &&
        published.treeSize === c.treeSize.toString() &&
        published.headHash === c.headHash;
      if (!same) return [];
      seq = msg.seq;
    } catch {
      // No checkpoint stream or no message in it (yet, or any more): nothing can have been confirmed.
      return [];
    }
    const out: WitnessConfirmation[] = [];
    for await (const consumer of this.bus.jsm.consumers.list(Streams.checkpoints)) {
      if (!consumer.name.startsWith(WITNESS_DURABLE_PREFIX)) continue;
      const floor = consumer.ack_floor;
      if (floor.stream_seq < seq) continue;
      // Typed as nanoseconds, sent by the server as an RFC 3339 time: when the floor last moved.
      const at = new Date(floor.last_active);
      if (Number.isNaN(at.getTime())) continue;
      const node = consumer.name.slice(WITNESS_DURABLE_PREFIX.length);
      // The id the witness gives its dead-letter event (messaging's deadLetterAuditEvent, person `<node>.witness`).
      const refusal = nameBasedId(`${node}.witness`, Streams.checkpoints, String(seq), 'dead-lettered');
      if (await this.rows.holdsEvent(node, refusal)) continue;
      out.push({ node, confirmedAt: at.toISOString() });
    }
    return out.sort((a, b) => a.node.localeCompare(b.node));
  }
}
