import { Injectable } from '@nestjs/common';
import { HandlersInOrder } from '#node-app';
import { JointAnalysisService } from './joint-analysis/joint-analysis.service.js';
import { PartnerBridgeHandler } from './partner-bridge/partner-bridge.handler.js';

/**
 * What AFIC does with each item it receives: the bridge to the partner countries, then what the item adds to
 * the joint analysis. A recall takes the item out of both and recalls what was released of it.
 */
@Injectable()
export class AficHandler extends HandlersInOrder {
  constructor(bridge: PartnerBridgeHandler, analysis: JointAnalysisService) {
    super([bridge, analysis]);
  }
}
