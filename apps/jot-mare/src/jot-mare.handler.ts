import { Injectable } from '@nestjs/common';
import type { InboxHandler, InboxItem, NodeOperation } from '#node-app';
import { SelectorCorrelator } from './correlation/selector-correlator.js';
import { VesselWatchHandler } from './vessel-watch-list/vessel-watch.handler.js';

/**
 * What JOT MARE does with each report it receives: the suspect-vessel watch-list, then the correlation of
 * selectors across reports. A recall takes the report out of both.
 */
@Injectable()
export class JotMareHandler implements InboxHandler {
  constructor(
    private readonly watchList: VesselWatchHandler,
    private readonly correlation: SelectorCorrelator,
  ) {}

  async handle(item: InboxItem): Promise<NodeOperation[]> {
    return [...(await this.watchList.handle(item)), ...(await this.correlation.handle(item))];
  }

  async beginErasure(itemId: string): Promise<string[]> {
    return [...(await this.watchList.beginErasure(itemId)), ...(await this.correlation.beginErasure(itemId))];
  }

  async erase(itemId: string): Promise<void> {
    await this.watchList.erase(itemId);
    await this.correlation.erase(itemId);
  }
}
