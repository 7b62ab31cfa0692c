import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  AlertLevel,
  AuditOperation,
  encodeEnvelope,
  Purpose,
  purposeLabel,
  purposesOf,
  type UseOfItems,
} from '#contracts';
import type { Directory } from '#directory';
import { Headers, publishDurably, Subjects, type Bus } from '#messaging';
import { NODE_ID, purposeWithheld, type InboxHandler, type InboxItem, type NodeOperation } from '#node-app';
import { BUS } from '#runtime';
import { alertRecipients } from './alert-recipients.js';
import { riskScore, type RiskSettings } from './risk-score.js';
import { vesselMentions } from './vessel-evidence.js';
import { alertBasis, alertLevel, vesselAlertFor } from './vessel-alert.js';
import type { WatchListStore } from './watch-list.store.js';

export const WATCH_LIST = Symbol('MSX_WATCH_LIST');
export const WATCH_LIST_SETTINGS = Symbol('MSX_WATCH_LIST_SETTINGS');
export const DIRECTORY = Symbol('MSX_DIRECTORY');

/** How JOT MARE scores vessels and whom it alerts. */
export interface WatchListSettings {
  risk: RiskSettings;
  /** A vessel whose score reaches this raises an alert (`MSX_VESSEL_ALERT_THRESHOLD`). */
  threshold: number;
  /** The Frontex party every alert also goes to (`MSX_VESSEL_ALERT_FRONTEX`). */
  frontex: string;
}

/** The entry of the erasure account for a vessel an item was evidence on. */
export const WATCH_LIST_ENTRY = 'vessel-watch-list';

/**
 * What the watch-list is for: spotting the vessels smugglers use, to investigate them and to stop them at
 * sea. Each alert serves only what all the reports it rests on serve (see `alertBasis`).
 */
export const WATCH_LIST_USE: UseOfItems = {
  name: WATCH_LIST_ENTRY,
  serves: [Purpose.CRIMINAL_INVESTIGATION, Purpose.BORDER_MANAGEMENT],
};

/**
 * What the maritime picture drawn from the watch-list is for: statistics, risk analysis. An item on the list
 * that does not serve it is left out of the picture.
 */
export const MARITIME_PICTURE_USE: UseOfItems = {
  name: 'maritime-picture',
  serves: [Purpose.RISK_ANALYSIS],
};

/**
 * JOT MARE's suspect-vessel watch-list: every suspect-vessel report, and every route report or debriefing that
 * names a vessel, becomes evidence on that vessel, kept in the node's schema. The vessel's risk score is the
 * sum of named criteria (see RISK_CRITERIA); when it reaches the threshold, or a higher level than the last
 * alert, JOT MARE sends a vessel alert to the contact points of the coastal member states on the vessel's
 * routes and to Frontex, stating each criterion that fired. Combining reports of several parties, and each
 * alert, is audited as a combination.
 */
@Injectable()
export class VesselWatchHandler implements InboxHandler {
  private readonly logger = new Logger('VesselWatchList');

  constructor(
    @Inject(NODE_ID) private readonly node: string,
    @Inject(BUS) private readonly bus: Bus,
    @Inject(WATCH_LIST) private readonly store: WatchListStore,
    @Inject(WATCH_LIST_SETTINGS) private readonly settings: WatchListSettings,
    @Inject(DIRECTORY) private readonly directory: Directory,
  ) {}

  async handle({ envelope, itemId, correlationId }: InboxItem): Promise<NodeOperation[]> {
    const mentions = vesselMentions(envelope);
    if (mentions.length === 0) return [];
    const outOfPurpose = purposeWithheld(envelope, WATCH_LIST_USE);
    if (outOfPurpose) return [outOfPurpose];
    const keys = await this.store.record(mentions, {
      itemId,
      messageId: envelope.id,
      reporter: envelope.sender,
      route: envelope.route,
      handlingCode: envelope.handlingCode,
      tlp: envelope.tlp,
      purposes: purposesOf(envelope),
    });
    const operations: NodeOperation[] = [];
    const notInPicture = purposeWithheld(envelope, MARITIME_PICTURE_USE);
    if (notInPicture) operations.push(notInPicture);
    const now = Date.now();
    for (const key of keys) {
      const vessel = await this.store.vessel(key);
      if (!vessel) continue;
      const evidence = await this.store.evidenceOf(key);
      const score = riskScore(evidence, now, this.settings.risk);
      const reporters = [...new Set(evidence.map((e) => e.reporter))].sort();
      this.logger.log(
        `vessel ${key}: score ${score.score} from ${evidence.length} item(s) of ${reporters.join(', ')}`,
      );
      if (reporters.length > 1)
        operations.push({
          operation: AuditOperation.COMBINED,
          key: `combine:${key}:${reporters.join(',')}`,
          detail: { vessel: key, reporters, reports: evidence.length, score: score.score },
        });
      const basis = alertBasis(evidence, this.settings.threshold, this.settings.risk, now);
      if (!basis) continue;
      const level = alertLevel(basis.score, this.settings.threshold, basis.evidence, now);
      if (vessel.alertedLevel !== undefined && Number(level) <= vessel.alertedLevel) continue;
      const recipients = alertRecipients(
        this.directory,
        new Set(basis.evidence.map((e) => e.route)),
        this.settings.frontex,
      );
      const alert = vesselAlertFor({
        node: this.node,
        idKey: this.bus.idKey,
        vessel,
        evidence: basis.evidence,
        score: basis.score,
        threshold: this.settings.threshold,
        level,
        recipients,
        purposes: basis.purposes,
        nowMs: now,
      });
      await publishDurably(this.bus.js, Subjects.submit(this.node), encodeEnvelope(alert), {
        msgID: alert.id,
        headers: correlationId ? { [Headers.correlationId]: correlationId } : undefined,
      });
      await this.store.markAlerted(key, level, score.score, alert.id);
      this.logger.log(
        `vessel ${key}: ${AlertLevel[level]} alert ${alert.id} to ${recipients.join(', ')} (score ${basis.score.score})`,
      );
      operations.push({
        operation: AuditOperation.COMBINED,
        key: `alert:${key}:${AlertLevel[level]}`,
        detail: {
          vessel: key,
          alert: alert.id,
          level: AlertLevel[level],
          score: basis.score.score,
          threshold: this.settings.threshold,
          criteria: basis.score.fired.map((c) => c.name),
          recipients,
          purposes: basis.purposes.map(purposeLabel),
          reports: [...new Set(basis.evidence.map((e) => e.itemId))].length,
        },
      });
    }
    return operations;
  }

  /** The watch-list entries an item is evidence on. */
  async beginErasure(itemId: string): Promise<string[]> {
    return (await this.store.vesselsOf(itemId)).map((key) => `${WATCH_LIST_ENTRY}:${key}`);
  }

  /** Takes the item's evidence back; a vessel no item speaks of any more leaves the list. */
  erase(itemId: string): Promise<void> {
    return this.store.removeItem(itemId);
  }
}
