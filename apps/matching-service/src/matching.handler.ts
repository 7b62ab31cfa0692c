import { Inject, Injectable, Logger } from '@nestjs/common';
import { AuditOperation, encodeEnvelope, type BlindToken, type Envelope } from '#contracts';
import { isThirdCountryParty, type Directory } from '#directory';
import { Headers, publishDurably, Subjects, type Bus } from '#messaging';
import {
  blindAnswerFor,
  blindQueryNoticeFor,
  HOLDINGS,
  NODE_ID,
  selectorKindLabel,
  type HeldToken,
  type HoldingsStore,
  type InboxHandler,
  type InboxItem,
  type NodeOperation,
} from '#node-app';
import { BUS } from '#runtime';
import { MATCH_RULES, queryRefusal, tokensByHolder, verdictsFor } from './matching.js';
import { MatchingStore } from './matching.store.js';

/** The matching service's settings. */
export interface MatchingSettings {
  /** Tokens one party may ask about in 24 hours (in refused queries not counted). */
  dailyQuota: number;
  /** Tokens one holder may have in the index: a party cannot plant a dictionary to watch who asks what. */
  holderLimit: number;
  /** The directory: third countries neither ask nor are indexed. */
  directory: Directory;
}

export const MATCHING_SETTINGS = Symbol('MSX_MATCHING_SETTINGS');

const held = (tokens: readonly BlindToken[]): HeldToken[] =>
  tokens.map((t) => ({ kind: t.kind, token: t.token }));
const kindNames = (tokens: readonly HeldToken[]) =>
  [...new Set(tokens.map((t) => selectorKindLabel(t.kind)))].sort();

/**
 * The blind hit/no-hit matching service (DESIGN §2), in the manner of FIU.net's hit/no-hit and Prüm: it keeps
 * the tokens each party holds (keyed hashes of selectors, made with a key it does not have), answers a
 * party's query with hit or no hit and the holders to contact, and tells each holder who asked, why, and
 * about which of its tokens. Every index change, query, refusal and hit is audited. It never sees a
 * selector in clear: the router gives it blind index updates and queries only.
 */
@Injectable()
export class MatchingHandler implements InboxHandler {
  private readonly logger = new Logger('Matching');
  private readonly store: MatchingStore;

  constructor(
    @Inject(NODE_ID) private readonly node: string,
    @Inject(BUS) private readonly bus: Bus,
    @Inject(HOLDINGS) holdings: HoldingsStore,
    @Inject(MATCHING_SETTINGS) private readonly settings: MatchingSettings,
  ) {
    this.store = new MatchingStore(holdings);
  }

  async handle({ envelope, correlationId }: InboxItem): Promise<NodeOperation[]> {
    const p = envelope.payload;
    const party = this.settings.directory.party(envelope.sender);
    if ((p.case === 'blindIndexUpdate' || p.case === 'blindQuery') && (!party || isThirdCountryParty(party)))
      return [
        {
          operation: AuditOperation.WITHHELD,
          key: p.case,
          counterpart: envelope.sender,
          rule: MATCH_RULES.euOnly,
          detail: {
            reason: `${envelope.sender} is not an EU party of the directory: the blind index neither takes nor answers it`,
          },
        },
      ];
    if (p.case === 'blindIndexUpdate') {
      const change = await this.store.apply(
        envelope.sender,
        p.value.keyId,
        held(p.value.added),
        held(p.value.removed),
        this.settings.holderLimit,
      );
      if (change.overLimit !== undefined)
        return [
          {
            operation: AuditOperation.WITHHELD,
            key: 'blind-index',
            counterpart: envelope.sender,
            rule: MATCH_RULES.holderLimit,
            detail: {
              keyId: p.value.keyId,
              reason: `${envelope.sender} would hold ${change.overLimit} tokens; the limit is ${this.settings.holderLimit}`,
            },
          },
        ];
      return [
        {
          operation: AuditOperation.COMBINED,
          key: 'blind-index',
          counterpart: envelope.sender,
          detail: { keyId: p.value.keyId, ...change },
        },
      ];
    }
    if (p.case === 'blindQuery')
      return this.query(envelope, p.value.keyId, held(p.value.tokens), p.value.purpose, correlationId);
    return [];
  }

  private async query(
    envelope: Envelope,
    keyId: string,
    asked: HeldToken[],
    purpose: string,
    correlationId: string,
  ): Promise<NodeOperation[]> {
    const querier = envelope.sender;
    const nowMs = Date.now();
    const headers = correlationId ? { [Headers.correlationId]: correlationId } : undefined;
    const send = (e: Envelope) =>
      publishDurably(this.bus.js, Subjects.submit(this.node), encodeEnvelope(e), { msgID: e.id, headers });
    const base = { matcher: this.node, idKey: this.bus.idKey, query: envelope, nowMs };
    const notices: NodeOperation[] = [];
    const { answered } = await this.store.answerOnce({ id: envelope.id, querier }, async (askedInWindow) => {
      const refused = queryRefusal({
        querier,
        askedInWindow,
        asking: asked.length,
        quota: this.settings.dailyQuota,
        keyId,
        indexKeys: await this.store.keyIds(),
      });
      if (refused) {
        const answer = blindAnswerFor({ ...base, refused });
        await send(answer);
        return {
          tokens: asked.length,
          hits: 0,
          refusedRule: refused.rule,
          answerId: answer.id,
        };
      }
      const indexed = await this.store.lookUp(
        keyId,
        asked.map((t) => t.token),
      );
      const verdicts = verdictsFor(asked, indexed, querier);
      // The holders first: once the querier has its answer, each holder it may contact knows who asked.
      for (const [holder, tokens] of tokensByHolder(verdicts)) {
        const notice = blindQueryNoticeFor({ ...base, purpose, holder, tokens });
        await send(notice);
        notices.push({
          operation: AuditOperation.COMBINED,
          key: `blind-hit:${holder}`,
          counterpart: holder,
          detail: {
            askedBy: querier,
            selectorKinds: kindNames(tokens),
            tokens: tokens.length,
            notice: notice.id,
          },
        });
      }
      const answer = blindAnswerFor({ ...base, verdicts });
      await send(answer);
      return {
        tokens: asked.length,
        hits: verdicts.filter((v) => v.holders.length > 0).length,
        answerId: answer.id,
      };
    });
    this.logger.log(
      answered.refusedRule
        ? `blind query ${envelope.id} of ${querier} refused: ${answered.refusedRule}`
        : `blind query ${envelope.id} of ${querier}: ${answered.hits} of ${answered.tokens} token(s) hit`,
    );
    const asOperation: NodeOperation = answered.refusedRule
      ? {
          operation: AuditOperation.WITHHELD,
          key: 'blind-query',
          counterpart: querier,
          rule: answered.refusedRule,
          detail: { keyId, tokens: answered.tokens, answer: answered.answerId },
        }
      : {
          operation: AuditOperation.CONSULTED,
          key: 'blind-query',
          counterpart: querier,
          detail: {
            keyId,
            selectorKinds: kindNames(asked),
            tokens: answered.tokens,
            hits: answered.hits,
            answer: answered.answerId,
          },
        };
    return [asOperation, ...notices];
  }
}
