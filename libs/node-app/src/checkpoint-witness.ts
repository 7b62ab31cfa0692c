import { Inject, Injectable } from '@nestjs/common';
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import {
  checkpointRecordOf,
  checkpointStatementOf,
  decodeAuditCheckpoint,
  keyIdOf,
  MsxError,
  verifyCheckpointSignature,
  type AuditCheckpoint,
} from '#contracts';
import { auditDeadLetters, checkpointStream, JetStreamWorker, witnessConsumer, type Bus } from '#messaging';
import { BUS, busLogger, WorkerService } from '#runtime';
import { NODE_ID, WITNESS_OPTIONS } from './node-app.tokens.js';

export interface WitnessOptions {
  /** Folder of the witness's files: `<log id>.jsonl` (one checkpoint per line) and `<log id>.key`. */
  dir: string;
  /** The audit service's public key, SPKI DER; when absent the first key seen per trail is pinned. */
  publicKey?: Uint8Array;
}

const LOG_ID = /^[A-Za-z0-9_.-]{1,100}$/;

/**
 * Keeps the audit trail's signed checkpoints as a witness (DESIGN §5): reads them through this node's own
 * durable consumer on `MSX_CHECKPOINTS` (no right on any other node's inbox is needed), checks each
 * signature against the audit service's key, and appends it as a JSON line to `<dir>/<log id>.jsonl`, synced
 * to disk before the ack. The verifier compares the trail with these lines, so a trail rewritten in the
 * database, even with re-signed checkpoints, no longer matches what the witnesses hold.
 */
@Injectable()
export class CheckpointWitness extends WorkerService<AuditCheckpoint> {
  private readonly logger = busLogger('Witness');
  /** Per trail: size → head hash of the checkpoints kept so far. */
  private readonly kept = new Map<string, Map<string, string>>();

  constructor(
    @Inject(BUS) private readonly bus: Bus,
    @Inject(NODE_ID) private readonly nodeId: string,
    @Inject(WITNESS_OPTIONS) private readonly opts: WitnessOptions,
  ) {
    super();
  }

  protected createWorker(): JetStreamWorker<AuditCheckpoint> {
    mkdirSync(this.opts.dir, { recursive: true, mode: 0o700 });
    return new JetStreamWorker<AuditCheckpoint>({
      bus: this.bus,
      consumer: witnessConsumer(this.nodeId),
      service: this.nodeId,
      // A node may not write to the dead-letter stream: a checkpoint given up on stays in MSX_CHECKPOINTS.
      deadLetters: auditDeadLetters(
        this.bus.js,
        this.nodeId,
        `${this.nodeId}.witness`,
        checkpointStream().maxAgeMs / 86_400_000,
      ),
      batchSize: 100,
      logger: this.logger,
      decode: (msg) => {
        const checkpoint = decodeAuditCheckpoint(msg.data);
        this.check(checkpoint);
        return checkpoint;
      },
      handle: (batch) => {
        for (const { value } of batch) this.keep(value);
        return Promise.resolve();
      },
    });
  }

  /** @throws MsxError `AUDIT.CHECKPOINT_INVALID` or `AUDIT.CHECKPOINT_UNTRUSTED_KEY` (permanent) */
  private check(c: AuditCheckpoint): void {
    if (!LOG_ID.test(c.logId))
      throw new MsxError('AUDIT.CHECKPOINT_INVALID', `checkpoint names an unusable log id`);
    if (!verifyCheckpointSignature(checkpointStatementOf(c), c.signature, c.publicKey))
      throw new MsxError(
        'AUDIT.CHECKPOINT_INVALID',
        `checkpoint ${c.logId} size ${c.treeSize}: the signature does not verify`,
      );
    const expected = this.opts.publicKey ? keyIdOf(this.opts.publicKey) : this.pinnedKeyId(c);
    if (c.keyId !== expected)
      throw new MsxError(
        'AUDIT.CHECKPOINT_UNTRUSTED_KEY',
        `checkpoint ${c.logId} size ${c.treeSize} is signed with key ${c.keyId}, not the audit key ${expected}`,
      );
  }

  /** The key id pinned for the trail: the first key this witness saw for it, kept in `<log id>.key`. */
  private pinnedKeyId(c: AuditCheckpoint): string {
    const file = join(this.opts.dir, `${c.logId}.key`);
    if (!existsSync(file)) {
      writeFileSync(file, `${Buffer.from(c.publicKey).toString('base64')}\n`, { mode: 0o600 });
      this.logger.log(`pinned audit key ${c.keyId} for ${c.logId}`);
    }
    return keyIdOf(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64'));
  }

  private keptOf(logId: string): Map<string, string> {
    let kept = this.kept.get(logId);
    if (!kept) {
      kept = new Map();
      const file = join(this.opts.dir, `${logId}.jsonl`);
      if (existsSync(file)) {
        for (const line of readFileSync(file, 'utf8').split('\n')) {
          try {
            const r = JSON.parse(line) as { treeSize: string; headHash: string };
            kept.set(r.treeSize, r.headHash);
          } catch {
            // a torn last line after a crash
          }
        }
      }
      this.kept.set(logId, kept);
    }
    return kept;
  }

  /** Appends the checkpoint unless the same one is kept already; a second, different head is kept as evidence. */
  private keep(c: AuditCheckpoint): void {
    const record = checkpointRecordOf(c);
    const kept = this.keptOf(c.logId);
    const before = kept.get(record.treeSize);
    if (before === record.headHash) return; // redelivered
    if (before !== undefined)
      this.logger.error(
        `audit trail ${c.logId} signed two different heads at size ${record.treeSize}: keeping both as evidence`,
      );
    const line = `${JSON.stringify({ ...record, witness: this.nodeId, receivedAtMs: Date.now() })}\n`;
    const fd = openSync(join(this.opts.dir, `${c.logId}.jsonl`), 'a', 0o600);
    try {
      writeSync(fd, line);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    kept.set(record.treeSize, before ?? record.headHash);
    this.logger.log(`witnessed ${c.logId} size ${record.treeSize} head ${record.headHash.slice(0, 16)}…`);
  }
}
