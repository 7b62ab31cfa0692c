import type { InboxHandler, InboxItem, NodeOperation, RecallNotice } from './inbox-worker.js';

/**
 * A node's handler made of parts that each do one job with every item, in order: their operations are
 * audited together, and a recall stops and erases the item in every part, in the same order.
 */
export abstract class HandlersInOrder implements InboxHandler {
  protected constructor(private readonly parts: readonly InboxHandler[]) {}

  async handle(item: InboxItem): Promise<NodeOperation[]> {
    const operations: NodeOperation[] = [];
    for (const part of this.parts) operations.push(...(await part.handle(item)));
    return operations;
  }

  async beginErasure(itemId: string, recall: RecallNotice): Promise<string[]> {
    const entries: string[] = [];
    for (const part of this.parts) entries.push(...((await part.beginErasure?.(itemId, recall)) ?? []));
    return entries;
  }

  async erase(itemId: string, recall: RecallNotice): Promise<void> {
    for (const part of this.parts) await part.erase?.(itemId, recall);
  }
}
