import { Inject, Injectable } from '@nestjs/common';
import { decodeEnvelope, MsxError, type ItemView, type PreviewAnswer } from '#contracts';
import type { Directory } from '#directory';
import type { Ledger } from '../ledger/ledger.js';
import { sharingFactsOf } from '../route-message/route-message.service.js';
import { DIRECTORY, LEDGER } from '../router.tokens.js';
import { itemViewOf, previewOf } from './item-queries.js';

/** An envelope id as the contract allows it; anything else cannot name an item. */
const MAX_ID_LENGTH = 64;
/** No envelope the gateway accepts is larger than its body limit; this bounds what a query may carry. */
const MAX_PREVIEW_BYTES = 1 << 20;

/** A submit sequence no submission ever has (they start at 1): see {@link previewOf}. */
const PREVIEW_SUBMIT_SEQ = -1;

/**
 * The router's answers to the gateway about items, on a party's behalf: where the party stands towards an
 * item, and who would receive a draft. The gateway authenticates the party; the router checks that it names
 * a party of the directory and answers only from that party's side.
 */
@Injectable()
export class ItemQueriesService {
  constructor(
    @Inject(DIRECTORY) private readonly directory: Directory,
    @Inject(LEDGER) private readonly ledger: Ledger,
  ) {}

  /** @throws MsxError `ROUTER.QUERY_INVALID` for a query without a party of the exchange or a message id */
  async item(query: unknown): Promise<ItemView> {
    const q = this.checked(query, 'messageId');
    const requestId = (query as { requestId?: unknown }).requestId;
    if (requestId !== undefined && (typeof requestId !== 'string' || requestId.length > MAX_ID_LENGTH)) {
      throw invalid('requestId must be a message id');
    }
    const [item, request] = await Promise.all([
      this.ledger.item(q.messageId.toLowerCase()),
      requestId ? this.ledger.request(requestId.toLowerCase()) : undefined,
    ]);
    return itemViewOf(item, q.node, request);
  }

  /**
   * @throws MsxError `ROUTER.QUERY_INVALID` for a query without a party or an envelope;
   *   `CONTRACT.INVALID` for an envelope that breaks the contract or is not the party's own
   */
  async preview(query: unknown): Promise<PreviewAnswer> {
    const q = this.checked(query, 'envelope');
    const bytes = Buffer.from(q.envelope, 'base64');
    if (bytes.length > MAX_PREVIEW_BYTES) throw invalid(`envelope is larger than ${MAX_PREVIEW_BYTES} bytes`);
    const envelope = decodeEnvelope(bytes);
    if (envelope.sender !== q.node)
      throw invalid(`the envelope's sender must be ${q.node}, the party asking`);
    const nowMs = Date.now();
    const submission = { envelope, publisher: q.node, submitSeq: PREVIEW_SUBMIT_SEQ };
    const [{ itemId, facts }, idClaim] = await Promise.all([
      sharingFactsOf(this.ledger, submission, nowMs),
      this.ledger.idClaim(envelope.id),
    ]);
    const item = itemId ? await this.ledger.item(itemId) : undefined;
    return previewOf(envelope, this.directory, { ...facts, idClaim, item });
  }

  private checked<K extends 'messageId' | 'envelope'>(
    query: unknown,
    key: K,
  ): { node: string } & Record<K, string> {
    const q = (typeof query === 'object' && query !== null ? query : {}) as Record<string, unknown>;
    if (typeof q.node !== 'string' || !this.directory.party(q.node)) {
      throw invalid('node must name a party of the exchange');
    }
    const value = q[key];
    if (typeof value !== 'string' || value === '' || (key === 'messageId' && value.length > MAX_ID_LENGTH)) {
      throw invalid(`${key} is required`);
    }
    return { node: q.node, [key]: value } as { node: string } & Record<K, string>;
  }
}

const invalid = (message: string) => new MsxError('ROUTER.QUERY_INVALID', message);
