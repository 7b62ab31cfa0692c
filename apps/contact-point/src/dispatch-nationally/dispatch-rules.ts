import { timestampMs } from '@bufbuild/protobuf/wkt';
import { HandlingCode, purposeRefusal, Tlp, type Envelope } from '#contracts';
import { useOf, type NationalAuthority } from './national-authorities.js';

/** A rule that keeps an item from a national authority, with the sentence an auditor reads. */
export interface DispatchRefusal {
  rule: DispatchRuleCode;
  reason: string;
}

/**
 * The rules a contact point applies before it passes an item to a national authority, first match wins. They
 * read the item's own markings (DESIGN §3): a contact point never discloses more than the handling code and
 * TLP allow, nor to an authority whose task none of the item's purposes covers; what it may not pass on it
 * keeps (the originator can be asked with a share request).
 */
export const DISPATCH_RULES = [
  {
    code: 'DISPATCH.EXPIRED',
    check: (e: Envelope, _a: NationalAuthority, nowMs: number) =>
      e.expiresAt && timestampMs(e.expiresAt) <= nowMs
        ? 'the item is past its expiry; it is no longer disclosed'
        : undefined,
  },
  {
    code: 'DISPATCH.TLP_RED',
    check: (e: Envelope) =>
      e.tlp === Tlp.RED ? 'TLP:RED is for its named recipients only: the contact point itself' : undefined,
  },
  {
    code: 'DISPATCH.TLP_AMBER_STRICT',
    check: (e: Envelope) =>
      e.tlp === Tlp.AMBER_STRICT
        ? 'TLP:AMBER+STRICT stays within the recipient organisation; a national authority is another one'
        : undefined,
  },
  {
    code: 'DISPATCH.H2_NO_DISSEMINATION',
    check: (e: Envelope) =>
      e.handlingCode === HandlingCode.H2
        ? "H2: not to be disseminated without the provider's permission"
        : undefined,
  },
  {
    code: 'DISPATCH.H3_RESTRICTIONS',
    check: (e: Envelope) =>
      e.handlingCode === HandlingCode.H3
        ? 'H3: the restrictions are stated in free text and need an officer to read them; not dispatched automatically'
        : undefined,
  },
  {
    code: 'DISPATCH.H1_JUDICIAL',
    check: (e: Envelope, a: NationalAuthority) =>
      e.handlingCode === HandlingCode.H1 && a.kind === 'prosecution'
        ? "H1: not to be used in judicial proceedings without the provider's permission"
        : undefined,
  },
  {
    code: 'DISPATCH.PURPOSE_NOT_COVERED',
    check: (e: Envelope, a: NationalAuthority) => purposeRefusal(e, useOf(a)) ?? undefined,
  },
] as const satisfies ReadonlyArray<{
  code: string;
  check: (e: Envelope, a: NationalAuthority, nowMs: number) => string | undefined;
}>;

export type DispatchRuleCode = (typeof DISPATCH_RULES)[number]['code'];

/** The first rule that keeps `envelope` from `authority`, or undefined when it may be dispatched. */
export function dispatchRefusal(
  envelope: Envelope,
  authority: NationalAuthority,
  nowMs: number,
): DispatchRefusal | undefined {
  for (const rule of DISPATCH_RULES) {
    const reason = rule.check(envelope, authority, nowMs);
    if (reason) return { rule: rule.code, reason };
  }
  return undefined;
}
