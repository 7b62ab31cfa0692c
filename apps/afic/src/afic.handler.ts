import { Injectable } from '@nestjs/common';
import type { InboxHandler, InboxItem, NodeOperation, RecallNotice } from '#node-app';
import { JointAnalysisService } from './joint-analysis/joint-analysis.service.js';
import { PartnerBridgeHandler } from './partner-bridge/partner-bridge.handler.js';

/**
 * What AFIC does with each item it receives: the bridge to the partner countries, then what the item adds to
 * the joint analysis. A recall takes the item out of both and recalls what was released of it.
 */
@Injectable()
export class AficHandler implements InboxHandler {
  constructor(
    private readonly bridge: PartnerBridgeHandler,
    private readonly analysis: JointAnalysisService,
  ) {}

  async handle(item: InboxItem): Promise<NodeOperation[]> {
    return [...(await this.bridge.handle(item)), ...(await this.analysis.handle(item))];
  }

  async beginErasure(itemId: string): Promise<string[]> {
    return [...(await this.bridge.beginErasure(itemId)), ...(await this.analysis.beginErasure(itemId))];
  }

  async erase(itemId: string, recall: RecallNotice): Promise<void> {
    await this.bridge.erase(itemId, recall);
    await this.analysis.erase(itemId);
  }
}
