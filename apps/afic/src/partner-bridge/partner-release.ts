import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import {
  EnvelopeSchema,
  envelopeToJson,
  handlingLabel,
  nameBasedId,
  purposesOf,
  ReleasabilityScope,
  ReleasabilitySchema,
  validateEnvelopeJson,
  type Envelope,
} from '#contracts';
import {
  isThirdCountryParty,
  type Agreement,
  type Directory,
  type HandlingLevel,
  type Party,
} from '#directory';
import { sharingRefusal } from '#node-app';
import { needsOriginatorConsent, thirdCountryPersonalData, topicsOf } from '#policy';
import { partnerCopyOf, RELEASABLE_TYPES, type RemovedField } from './release-profile.js';

/** The rule under which AFIC releases a copy without the personal data. */
export const PERSONAL_DATA_REMOVED = thirdCountryPersonalData.code;
/** AFIC does not release a copy of intelligence that needs its originator's consent to be shared onward. */
export const RELEASE_NEEDS_CONSENT = 'AFIC.ORIGINATOR_CONTROL';
/** The copy would be empty or break the contract once the personal data is out. */
export const NOTHING_RELEASABLE = 'AFIC.NOTHING_RELEASABLE';

/** A copy AFIC releases to one partner, and what it took out. */
export interface PlannedRelease {
  partner: string;
  agreement: string;
  envelope: Envelope;
  removed: RemovedField[];
}

/** A partner AFIC releases nothing to, and why (the router's own rule, or AFIC's). */
export interface NotReleased {
  partner: string;
  rule: string;
  reason: string;
}

/** The agreement in force with the partner's country that covers the item's handling code. */
function coveringAgreement(envelope: Envelope, party: Party, directory: Directory, nowMs: number): Agreement {
  const code = handlingLabel(envelope.handlingCode) as HandlingLevel;
  const day = new Date(nowMs).toISOString().slice(0, 10);
  return directory.agreementsFor(party.country, day).find((a) => a.handlingCodes.includes(code))!;
}

/**
 * What AFIC passes on of a route report, modus operandi report or debriefing (not of a forwarded copy or one
 * of its own) to the partner countries subscribed to its topic. A partner the router
 * delivered the item to already needs nothing. A partner the item was kept from only because it holds
 * personal data and the partner's agreement gives no legal basis for it gets a copy without the personal
 * data ({@link partnerCopyOf}), authored by AFIC, released to that country alone, marked like the original —
 * unless the original needs its originator's consent to be shared onward, nothing was found to take out
 * (the personal data is where AFIC cannot see it), or the copy would break the contract. The copy must pass
 * every sharing rule for the partner, as the router will check again. A partner kept from the item by any
 * other rule (no agreement, not released to it, handling code) gets nothing.
 */
export function releasesFor(
  original: Envelope,
  directory: Directory,
  o: { node: string; idKey: string; nowMs: number },
): { releases: PlannedRelease[]; notReleased: NotReleased[] } {
  const releases: PlannedRelease[] = [];
  const notReleased: NotReleased[] = [];
  const type = original.payload.case;
  if (!type || !RELEASABLE_TYPES.includes(type) || original.consentRef !== '' || original.sender === o.node)
    return { releases, notReleased };
  const partners = new Map<string, Party>();
  for (const topic of topicsOf(original))
    for (const party of directory.subscribersOf(topic))
      if (isThirdCountryParty(party)) partners.set(party.id, party);
  for (const party of [...partners.values()].sort((a, b) => a.id.localeCompare(b.id))) {
    const refusal = sharingRefusal(
      original,
      party.id,
      directory,
      o.nowMs,
      original.recipients.includes(party.id),
    );
    if (refusal === null || refusal.rule !== PERSONAL_DATA_REMOVED) continue;
    const skip = (rule: string, reason: string) => notReleased.push({ partner: party.id, rule, reason });
    if (needsOriginatorConsent(original.handlingCode, original.tlp)) {
      skip(
        RELEASE_NEEDS_CONSENT,
        `${original.id} needs the consent of ${original.sender} to be shared onward`,
      );
      continue;
    }
    const copy = partnerCopyOf(original);
    if (!copy || copy.removed.length === 0) {
      skip(
        NOTHING_RELEASABLE,
        `AFIC found no personal data to take out of ${original.id}, which is marked as holding some`,
      );
      continue;
    }
    const release = releaseEnvelope(original, copy.payload, party, o);
    const violations = validateEnvelopeJson(envelopeToJson(release));
    if (violations.length > 0) {
      skip(
        NOTHING_RELEASABLE,
        `without the personal data the copy breaks the contract: ${violations.map((v) => `${v.field} (${v.rule})`).join(', ')}`,
      );
      continue;
    }
    const copyRefused = sharingRefusal(release, party.id, directory, o.nowMs, true);
    if (copyRefused) {
      skip(copyRefused.rule, copyRefused.reason);
      continue;
    }
    releases.push({
      partner: party.id,
      agreement: coveringAgreement(original, party, directory, o.nowMs).id,
      envelope: release,
      removed: copy.removed,
    });
  }
  return { releases, notReleased };
}

/** The purpose every released copy states after the original's. */
const RELEASE_PURPOSE = 'released by AFIC to a partner country without the personal data';

function releaseEnvelope(
  original: Envelope,
  payload: Envelope['payload'],
  party: Party,
  o: { node: string; idKey: string; nowMs: number },
): Envelope {
  return create(EnvelopeSchema, {
    id: nameBasedId(o.idKey, o.node, original.id, 'partner-release', party.id),
    threadId: original.threadId || original.id,
    inReplyTo: original.id,
    sender: o.node,
    author: `${o.node}.partner-bridge`,
    createdAt: timestampFromMs(o.nowMs),
    recipients: [party.id],
    // For this partner alone: the EU parties subscribed to its topic have the original.
    namedRecipientsOnly: true,
    route: original.route,
    handlingCode: original.handlingCode,
    tlp: original.tlp,
    evaluation: original.evaluation,
    releasability: create(ReleasabilitySchema, {
      scope: ReleasabilityScope.THIRD_COUNTRIES,
      thirdCountries: [party.country],
    }),
    containsPersonalData: false,
    purpose: `${original.purpose}; ${RELEASE_PURPOSE}`.slice(0, 2_000),
    // No wider than the original's: the partner may use the copy for what the provider allowed, nothing else.
    purposes: [...purposesOf(original)],
    expiresAt: original.expiresAt,
    payload,
  });
}
