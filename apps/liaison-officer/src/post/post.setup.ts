import type { RunNodeAppOptions } from '#node-app';
import { ReceiptHandler } from '../read-receipts/receipt.handler.js';

/** What a post adds to a node app: the receipts it reads (its outbox is every node app's). */
export function postSetup(): ReturnType<NonNullable<RunNodeAppOptions['setup']>> {
  return { providers: [ReceiptHandler] };
}
