import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import {
  BlindAnswerSchema,
  BlindIndexUpdateSchema,
  BlindQueryNoticeSchema,
  BlindQuerySchema,
  BlindTokenSchema,
  BlindVerdictSchema,
  EnvelopeSchema,
  HandlingCode,
  nameBasedId,
  uuidv7,
  ReleasabilityScope,
  ReleasabilitySchema,
  SelectorKind,
  Tlp,
  type Envelope,
} from '#contracts';
import type { HeldToken } from './matching-key.js';

/** The purpose every index update states. */
export const BLIND_INDEX_PURPOSE =
  'Blind hit/no-hit matching in MSX: keyed hashes of the selectors a party holds, so that others can find the holder without learning the selector';

/** Kinds that point at a person; their tokens are pseudonymised personal data. */
const PERSONAL_KINDS: ReadonlySet<SelectorKind> = new Set([
  SelectorKind.PHONE_NUMBER,
  SelectorKind.IBAN,
  SelectorKind.DOCUMENT_NUMBER,
]);

const tokenOf = (t: HeldToken) => create(BlindTokenSchema, { kind: t.kind, token: t.token });
const personal = (tokens: readonly HeldToken[]) => tokens.some((t) => PERSONAL_KINDS.has(t.kind));
const euOnly = () => create(ReleasabilitySchema, { scope: ReleasabilityScope.EU_ONLY });

/**
 * A node's change to its part of the blind index (the tokens an item added or took away), to the matching
 * service only.
 */
export function blindIndexUpdateFor(opts: {
  node: string;
  matcher: string;
  keyId: string;
  added?: readonly HeldToken[];
  removed?: readonly HeldToken[];
  nowMs: number;
}): Envelope {
  const added = opts.added ?? [];
  const removed = opts.removed ?? [];
  // A fresh id: the update waits in the outbox under it, and is sent under it however often it must be.
  const id = uuidv7(opts.nowMs);
  return create(EnvelopeSchema, {
    id,
    threadId: id,
    sender: opts.node,
    author: `${opts.node}.blind-index`,
    createdAt: timestampFromMs(opts.nowMs),
    recipients: [opts.matcher],
    namedRecipientsOnly: true,
    handlingCode: HandlingCode.H1,
    tlp: Tlp.GREEN,
    releasability: euOnly(),
    containsPersonalData: personal([...added, ...removed]),
    purpose: BLIND_INDEX_PURPOSE,
    payload: {
      case: 'blindIndexUpdate',
      value: create(BlindIndexUpdateSchema, {
        keyId: opts.keyId,
        added: added.map(tokenOf),
        removed: removed.map(tokenOf),
      }),
    },
  });
}

/** A blind query of `sender`, to the matching service: tokens only, with the purpose the holders will read. */
export function blindQueryFor(opts: {
  id: string;
  sender: string;
  author: string;
  matcher: string;
  keyId: string;
  tokens: readonly HeldToken[];
  purpose: string;
  handlingCode?: HandlingCode;
  nowMs: number;
}): Envelope {
  return create(EnvelopeSchema, {
    id: opts.id,
    threadId: opts.id,
    sender: opts.sender,
    author: opts.author,
    createdAt: timestampFromMs(opts.nowMs),
    recipients: [opts.matcher],
    namedRecipientsOnly: true,
    handlingCode: opts.handlingCode ?? HandlingCode.H1,
    tlp: Tlp.GREEN,
    releasability: euOnly(),
    containsPersonalData: personal(opts.tokens),
    purpose: opts.purpose,
    payload: {
      case: 'blindQuery',
      value: create(BlindQuerySchema, {
        keyId: opts.keyId,
        tokens: opts.tokens.map(tokenOf),
        purpose: opts.purpose,
      }),
    },
  });
}

/** What the matching service found for one token of a query. */
export interface Verdict {
  token: HeldToken;
  holders: string[];
}

/** A reply of the matching service to a query: same thread, handling and purpose, to one party only. */
function replyTo(query: Envelope, matcher: string, idKey: string, what: string, to: string, nowMs: number) {
  const id = nameBasedId(idKey, matcher, query.id, what, to);
  return {
    id,
    threadId: query.threadId || query.id,
    inReplyTo: query.id,
    sender: matcher,
    author: `${matcher}.matching`,
    createdAt: timestampFromMs(nowMs),
    recipients: [to],
    namedRecipientsOnly: true,
    handlingCode: query.handlingCode,
    tlp: query.tlp,
    releasability: euOnly(),
    containsPersonalData: query.containsPersonalData,
    purpose: query.purpose,
  };
}

/** The matching service's answer to a query: a verdict per token asked, or why the query was refused. */
export function blindAnswerFor(opts: {
  matcher: string;
  idKey: string;
  query: Envelope;
  verdicts?: readonly Verdict[];
  refused?: { rule: string; reason: string };
  nowMs: number;
}): Envelope {
  const { query } = opts;
  return create(EnvelopeSchema, {
    ...replyTo(query, opts.matcher, opts.idKey, 'answer', query.sender, opts.nowMs),
    payload: {
      case: 'blindAnswer',
      value: create(BlindAnswerSchema, {
        queryId: query.id,
        verdicts: (opts.verdicts ?? []).map((v) =>
          create(BlindVerdictSchema, {
            token: tokenOf(v.token),
            hit: v.holders.length > 0,
            holders: v.holders,
          }),
        ),
        refusedRule: opts.refused?.rule ?? '',
        refusedReason: opts.refused?.reason ?? '',
      }),
    },
  });
}

/** Tells a holder who asked about which of its tokens, and why. */
export function blindQueryNoticeFor(opts: {
  matcher: string;
  idKey: string;
  query: Envelope;
  purpose: string;
  holder: string;
  tokens: readonly HeldToken[];
  nowMs: number;
}): Envelope {
  const { query } = opts;
  return create(EnvelopeSchema, {
    ...replyTo(query, opts.matcher, opts.idKey, 'notice', opts.holder, opts.nowMs),
    payload: {
      case: 'blindQueryNotice',
      value: create(BlindQueryNoticeSchema, {
        queryId: query.id,
        askedBy: query.sender,
        purpose: opts.purpose,
        tokens: opts.tokens.map(tokenOf),
      }),
    },
  });
}
