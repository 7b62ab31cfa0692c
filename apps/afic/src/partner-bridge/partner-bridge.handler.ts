import { Inject, Injectable, Logger } from '@nestjs/common';
import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import {
  AuditOperation,
  encodeEnvelope,
  EnvelopeSchema,
  nameBasedId,
  RecallReason,
  RecallSchema,
  ReleasabilityScope,
  ReleasabilitySchema,
} from '#contracts';
import type { Directory } from '#directory';
import { Headers, publishDurably, Subjects, type Bus } from '#messaging';
import { NODE_ID, type InboxHandler, type InboxItem, type NodeOperation, type RecallNotice } from '#node-app';
import { BUS } from '#runtime';
import { PERSONAL_DATA_REMOVED, releasesFor } from './partner-release.js';
import type { ReleaseRecord, ReleaseStore } from './release.store.js';

export const RELEASES = Symbol('MSX_AFIC_RELEASES');
export const AFIC_DIRECTORY = Symbol('MSX_AFIC_DIRECTORY');

/** The entry of the erasure account for a copy released to a partner and recalled with the original. */
export const PARTNER_RELEASE_ENTRY = 'partner-release';

/**
 * AFIC's bridge to the partner countries. The router already delivers to a partner what its agreement
 * allows; what it keeps from a partner only because it holds personal data without a legal basis, AFIC
 * passes on without the personal data (`releasesFor`). Each field it takes out is audited as an alteration,
 * field by field, with the partner, the agreement and the copy; a partner it releases nothing to for a rule
 * of its own is audited as withheld. A recall of the original recalls every copy released of it.
 */
@Injectable()
export class PartnerBridgeHandler implements InboxHandler {
  private readonly logger = new Logger('PartnerBridge');

  constructor(
    @Inject(NODE_ID) private readonly node: string,
    @Inject(BUS) private readonly bus: Bus,
    @Inject(RELEASES) private readonly releases: ReleaseStore,
    @Inject(AFIC_DIRECTORY) private readonly directory: Directory,
  ) {}

  async handle({ envelope, itemId, correlationId }: InboxItem): Promise<NodeOperation[]> {
    const { releases, notReleased } = releasesFor(envelope, this.directory, {
      node: this.node,
      idKey: this.bus.idKey,
      nowMs: Date.now(),
    });
    const operations: NodeOperation[] = [];
    for (const r of releases) {
      const release = r.envelope;
      await this.releases.releaseOnce(
        {
          itemId,
          partner: r.partner,
          releaseId: release.id,
          agreement: r.agreement,
          handlingCode: release.handlingCode,
          tlp: release.tlp,
        },
        () =>
          publishDurably(this.bus.js, Subjects.submit(this.node), encodeEnvelope(release), {
            msgID: release.id,
            headers: correlationId ? { [Headers.correlationId]: correlationId } : undefined,
          }).then(() => undefined),
      );
      this.logger.log(
        `released ${envelope.id} to ${r.partner} as ${release.id} under ${r.agreement}, without ${r.removed.length} field(s)`,
      );
      for (const { field, reason } of r.removed)
        operations.push({
          operation: AuditOperation.ALTERED,
          key: `remove:${r.partner}:${field}`,
          counterpart: r.partner,
          rule: PERSONAL_DATA_REMOVED,
          detail: { field, reason, release: release.id, agreement: r.agreement },
        });
    }
    for (const n of notReleased)
      operations.push({
        operation: AuditOperation.WITHHELD,
        key: `release-withheld:${n.partner}`,
        counterpart: n.partner,
        rule: n.rule,
        detail: { reason: n.reason },
      });
    return operations;
  }

  /** The partners a copy of the item was released to: each is recalled with it. */
  async beginErasure(itemId: string): Promise<string[]> {
    return (await this.releases.releasesOf(itemId)).map((r) => `${PARTNER_RELEASE_ENTRY}:${r.partner}`);
  }

  /** Recalls each copy released of the item (the same recall id on a retry), then forgets them. */
  async erase(itemId: string, recall: RecallNotice): Promise<void> {
    for (const r of await this.releases.releasesOf(itemId)) {
      const envelope = this.recallOf(r, recall);
      await publishDurably(this.bus.js, Subjects.submit(this.node), encodeEnvelope(envelope), {
        msgID: envelope.id,
      });
      this.logger.log(`recalled ${r.releaseId} from ${r.partner}: its original ${itemId} was recalled`);
    }
    await this.releases.removeItem(itemId);
  }

  private recallOf(r: ReleaseRecord, recall: RecallNotice) {
    // The original's reason where the contract names it (withdrawn, inaccurate, expired, legal order).
    const named = RecallReason[recall.reason as keyof typeof RecallReason];
    const reason =
      typeof named === 'number' && named !== RecallReason.UNSPECIFIED ? named : RecallReason.WITHDRAWN;
    return create(EnvelopeSchema, {
      id: nameBasedId(this.bus.idKey, this.node, r.releaseId, 'recall'),
      threadId: r.releaseId,
      inReplyTo: r.releaseId,
      sender: this.node,
      author: `${this.node}.partner-bridge`,
      createdAt: timestampFromMs(Date.now()),
      recipients: [],
      handlingCode: r.handlingCode,
      tlp: r.tlp,
      releasability: create(ReleasabilitySchema, { scope: ReleasabilityScope.EU_ONLY }),
      payload: {
        case: 'recall',
        value: create(RecallSchema, {
          messageId: r.releaseId,
          reason,
          explanation: `the original ${r.itemId} was recalled by ${recall.sender}`,
        }),
      },
    });
  }
}
