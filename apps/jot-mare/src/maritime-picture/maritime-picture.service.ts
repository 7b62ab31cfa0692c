import { Inject, Injectable, Logger } from '@nestjs/common';
import { encodeEnvelope, SmugglingRoute } from '#contracts';
import type { Directory } from '#directory';
import { publishDurably, Subjects, type Bus } from '#messaging';
import { NODE_ID } from '#node-app';
import { BUS, lastCompletePeriod, PeriodicDuty } from '#runtime';
import { alertRecipients } from '../vessel-watch-list/alert-recipients.js';
import {
  DIRECTORY,
  WATCH_LIST,
  WATCH_LIST_SETTINGS,
  type WatchListSettings,
} from '../vessel-watch-list/vessel-watch.handler.js';
import type { WatchListStore } from '../vessel-watch-list/watch-list.store.js';
import { maritimeFigures, maritimePictureFor, SEA_ROUTES } from './maritime-picture.js';

export const MARITIME_PICTURE_EVERY_MS = Symbol('MSX_MARITIME_PICTURE_EVERY_MS');

/** The statistics recipient every maritime picture goes to, when the directory has it. */
export const STATISTICS_PARTY = 'eurostat';

/**
 * Issues JOT MARE's maritime picture of each sea route once per period (`MSX_MARITIME_PICTURE_EVERY_MS`, a
 * week by default), for every route the watch-list holds evidence on, to Eurostat, Frontex and the coastal
 * contact points of the route. It looks at least once a minute; a period already issued (recorded in the
 * node's schema) is not issued again after a restart.
 */
@Injectable()
export class MaritimePictureService extends PeriodicDuty {
  private readonly logger = new Logger('MaritimePicture');

  constructor(
    @Inject(BUS) private readonly bus: Bus,
    @Inject(NODE_ID) private readonly node: string,
    @Inject(WATCH_LIST) private readonly store: WatchListStore,
    @Inject(WATCH_LIST_SETTINGS) private readonly settings: WatchListSettings,
    @Inject(DIRECTORY) private readonly directory: Directory,
    @Inject(MARITIME_PICTURE_EVERY_MS) private readonly everyMs: number,
  ) {
    super(Math.min(everyMs, 60_000));
  }

  protected async runDue(): Promise<void> {
    await this.issueDue();
  }

  protected dutyFailed(err: Error): void {
    this.logger.warn(`maritime picture not issued: ${err.message}`);
  }

  /**
   * Issues the picture of the last complete period for every sea route with evidence that has none yet.
   * @returns the ids issued
   */
  async issueDue(nowMs = Date.now()): Promise<string[]> {
    const period = lastCompletePeriod(nowMs, this.everyMs);
    const start = new Date(period.startMs);
    const issued: string[] = [];
    const alerted = await this.store.alertedVessels();
    for (const route of SEA_ROUTES) {
      if (this.periodic.isStopped) break;
      const evidence = await this.store.pictureEvidence(route);
      if (!evidence.some((e) => e.recordedAtMs < period.endMs)) continue;
      if (await this.store.pictureIssued(route, start)) continue;
      const figures = maritimeFigures(route, evidence, alerted, period, this.settings.risk);
      const recipients = [
        ...(this.directory.party(STATISTICS_PARTY) ? [STATISTICS_PARTY] : []),
        ...alertRecipients(this.directory, [route], this.settings.frontex),
      ];
      const picture = maritimePictureFor({
        node: this.node,
        idKey: this.bus.idKey,
        route,
        figures,
        recipients,
        // Created now, whatever the period: `nowMs` only picks the period (a test may look ahead).
        nowMs: Date.now(),
      });
      await publishDurably(this.bus.js, Subjects.submit(this.node), encodeEnvelope(picture), {
        msgID: picture.id,
      });
      await this.store.recordPicture(route, start, picture.id);
      issued.push(picture.id);
      this.logger.log(
        `maritime picture ${SmugglingRoute[route]} ${figures.periodStart.slice(0, 10)}: ${picture.id}`,
      );
    }
    return issued;
  }
}
