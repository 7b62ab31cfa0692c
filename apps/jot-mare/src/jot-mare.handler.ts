import { Injectable } from '@nestjs/common';
import { HandlersInOrder } from '#node-app';
import { SelectorCorrelator } from './correlation/selector-correlator.js';
import { VesselWatchHandler } from './vessel-watch-list/vessel-watch.handler.js';

/**
 * What JOT MARE does with each report it receives: the suspect-vessel watch-list, then the correlation of
 * selectors across reports. A recall takes the report out of both.
 */
@Injectable()
export class JotMareHandler extends HandlersInOrder {
  constructor(watchList: VesselWatchHandler, correlation: SelectorCorrelator) {
    super([watchList, correlation]);
  }
}
