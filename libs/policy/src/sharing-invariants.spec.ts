import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { create } from '@bufbuild/protobuf';
import {
  AnalysisProductSchema,
  DebriefingReportSchema,
  HandlingCode,
  ReleasabilityScope,
  ReleasabilitySchema,
  RouteReportSchema,
  SmugglingRoute,
  Tlp,
  type Envelope,
} from '#contracts';
import { isThirdCountryParty } from '#directory';
import { testDirectory } from '#testing';
import { candidatesOf, decideRecipients } from './decide-recipients.js';
import { carriesSelectorsOf, needsOriginatorConsent } from './derived-intelligence.js';
import type { ConsentRecord, ItemRecord, PolicyFacts } from './facts.js';
import { envelope, factsFor, item, NOW_MS } from './policy-fixtures.js';

/**
 * Invariants of the sharing rules over thousands of generated envelopes and facts: whatever the sender,
 * handling, TLP, releasability, recipients and history, these must hold for every decision.
 */
const directory = testDirectory();
const NODES = directory.nodeIds();
/**
 * A fixed seed, so that a failure replays exactly (fast-check prints the seed and path of a counterexample).
 * MSX_PROPERTY_SEED explores other envelopes; mutation testing sets MSX_PROPERTY_RUNS lower to stay within
 * minutes, the suite itself runs 3,000 per invariant.
 */
const SEED = Number(process.env.MSX_PROPERTY_SEED ?? 20_261_201);
const RUNS = Number(process.env.MSX_PROPERTY_RUNS ?? 3_000);

const handlingArb = fc.constantFrom(HandlingCode.H0, HandlingCode.H1, HandlingCode.H2, HandlingCode.H3);
const tlpArb = fc.constantFrom(Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER, Tlp.AMBER_STRICT, Tlp.RED);
const routeArb = fc.constantFrom(
  SmugglingRoute.CENTRAL_MEDITERRANEAN,
  SmugglingRoute.EASTERN_MEDITERRANEAN,
  SmugglingRoute.WESTERN_BALKANS,
);
const payloadArb = fc.constantFrom('routeReport', 'debriefingReport', 'analysisProduct');

const consentArb: fc.Arbitrary<ConsentRecord> = fc.record({
  decisionId: fc.constant('decision-1'),
  messageId: fc.constant(item().messageId),
  originator: fc.constantFrom(...NODES),
  requester: fc.constantFrom(...NODES),
  granted: fc.boolean(),
  grantedRecipients: fc.subarray(NODES),
  validUntilMs: fc.option(fc.integer({ min: NOW_MS - 10_000, max: NOW_MS + 10_000 }), { nil: undefined }),
});

const priorArb: fc.Arbitrary<ItemRecord> = fc.record({
  messageId: fc.constant(item().messageId),
  originator: fc.constantFrom(...NODES),
  type: fc.constant('routeReport' as const),
  handlingCode: handlingArb,
  tlp: tlpArb,
  payloadSha256: fc.constant(''),
  recipients: fc.subarray(NODES),
});

/** A generated submission: an envelope and what the ledger knows around it. */
const caseArb = fc
  .record({
    sender: fc.constantFrom(...NODES, 'cp-xx'),
    recipients: fc.subarray([...NODES, 'cp-xx']),
    handlingCode: handlingArb,
    tlp: tlpArb,
    route: routeArb,
    containsPersonalData: fc.boolean(),
    thirdCountries: fc.option(fc.subarray(['NE', 'SN', 'ML']), { nil: undefined }),
    payload: payloadArb,
    aggregated: fc.boolean(),
    forward: fc.option(consentArb, { nil: undefined }),
    prior: fc.option(priorArb, { nil: undefined }),
    priorSamePayload: fc.boolean(),
  })
  .map((c) => {
    const payloads = {
      routeReport: {
        case: 'routeReport' as const,
        value: create(RouteReportSchema, { departureArea: 'Zuwara' }),
      },
      debriefingReport: {
        case: 'debriefingReport' as const,
        value: create(DebriefingReportSchema, { hotspot: 'Lampedusa' }),
      },
      analysisProduct: {
        case: 'analysisProduct' as const,
        value: create(AnalysisProductSchema, { aggregated: c.aggregated }),
      },
    };
    const env = envelope({
      sender: c.sender,
      recipients: c.recipients,
      handlingCode: c.handlingCode,
      handlingRestriction: c.handlingCode === HandlingCode.H3 ? 'restricted' : '',
      tlp: c.tlp,
      route: c.route,
      containsPersonalData: c.containsPersonalData,
      consentRef: c.forward ? 'decision-1' : '',
      releasability: create(ReleasabilitySchema, {
        scope: c.thirdCountries ? ReleasabilityScope.THIRD_COUNTRIES : ReleasabilityScope.EU_ONLY,
        thirdCountries: c.thirdCountries ?? [],
      }),
      payload: payloads[c.payload],
    });
    const base = factsFor(env);
    const prior = c.prior && {
      ...c.prior,
      payloadSha256: c.priorSamePayload ? base.payloadSha256 : 'f'.repeat(64),
    };
    const facts: PolicyFacts = c.forward
      ? { ...base, consent: c.forward, item: prior }
      : { ...base, samePayload: c.priorSamePayload ? prior : undefined };
    return { env, facts };
  });

/** Selector digests to draw from: a new item and an original share some, all or none of them. */
const SELECTORS = ['s1', 's2', 's3', 's4', 's5'];

/** A new item with selectors, and one restricted or open item of the exchange with selectors of its own. */
const rewordingArb = fc
  .record({
    sender: fc.constantFrom(...NODES),
    recipients: fc.subarray(NODES),
    handlingCode: handlingArb,
    tlp: tlpArb,
    route: routeArb,
    selectors: fc.subarray(SELECTORS),
    original: fc.record({
      originator: fc.constantFrom(...NODES),
      handlingCode: handlingArb,
      tlp: tlpArb,
      recipients: fc.subarray(NODES),
      senderHolds: fc.boolean(),
      selectors: fc.subarray(SELECTORS, { minLength: 1 }),
    }),
  })
  .map((c) => {
    const env = envelope({
      sender: c.sender,
      recipients: c.recipients,
      handlingCode: c.handlingCode,
      handlingRestriction: c.handlingCode === HandlingCode.H3 ? 'restricted' : '',
      tlp: c.tlp,
      route: c.route,
      releasability: create(ReleasabilitySchema, {
        scope: ReleasabilityScope.THIRD_COUNTRIES,
        thirdCountries: ['NE', 'SN', 'ML'],
      }),
    });
    const { senderHolds, ...o } = c.original;
    const original: ItemRecord = {
      ...item({ messageId: '0193a1b2-0000-7000-8000-0000000000ee', payloadSha256: 'f'.repeat(64) }),
      ...o,
      recipients: senderHolds ? [...new Set([...o.recipients, c.sender])] : o.recipients,
    };
    return { env, original, facts: factsFor(env, { selectors: c.selectors, selectorItems: [original] }) };
  });

function delivered(env: Envelope, facts: PolicyFacts): string[] {
  return decideRecipients(env, directory, facts)
    .filter((d) => d.outcome === 'delivered')
    .map((d) => d.recipient);
}

describe('sharing invariants (property-based)', () => {
  it('no TLP RED item reaches a party the sender did not name', () => {
    fc.assert(
      fc.property(caseArb, ({ env, facts }) => {
        if (env.tlp !== Tlp.RED) return;
        for (const node of delivered(env, facts)) expect(env.recipients).toContain(node);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('no personal data reaches a third country without an agreement that states a legal basis', () => {
    fc.assert(
      fc.property(caseArb, ({ env, facts }) => {
        if (!env.containsPersonalData) return;
        for (const node of delivered(env, facts)) {
          const party = directory.party(node)!;
          if (!isThirdCountryParty(party)) continue;
          const basis = directory
            .agreementsFor(party.country, '2026-11-28')
            .some((a) => a.personalData && a.legalBasis);
          expect(basis).toBe(true);
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it("no H2 item leaves its first recipients without the originator's consent", () => {
    fc.assert(
      fc.property(caseArb, ({ env, facts }) => {
        const out = delivered(env, facts);
        if (out.length === 0) return;
        const prior = facts.consent ? facts.item : facts.samePayload;
        const onward =
          prior && prior.originator !== env.sender && prior.payloadSha256 === facts.payloadSha256;
        if (!onward || prior.handlingCode !== HandlingCode.H2) return;
        // Someone else's H2 intelligence went out: only as a forward, under a granted, valid consent to
        // this sender, and only to the recipients the consent names.
        const c = facts.consent;
        expect(c).toBeDefined();
        expect(c!.granted).toBe(true);
        expect(c!.requester).toBe(env.sender);
        expect(c!.validUntilMs === undefined || c!.validUntilMs > facts.nowMs).toBe(true);
        for (const node of out) expect(c!.grantedRecipients).toContain(node);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('every candidate recipient gets exactly one decision, with its reason, and the sender none', () => {
    fc.assert(
      fc.property(caseArb, ({ env, facts }) => {
        const decisions = decideRecipients(env, directory, facts);
        const recipients = decisions.map((d) => d.recipient);
        expect(new Set(recipients).size).toBe(recipients.length);
        expect(recipients.sort()).toEqual(
          candidatesOf(env, directory, facts)
            .map((c) => c.node)
            .sort(),
        );
        expect(recipients).not.toContain(env.sender);
        for (const d of decisions) {
          expect(d.rule).toMatch(/^POLICY\.[A-Z_]+$/);
          // The audit trail and the sender's receipt state why, in words, for every decision.
          expect(d.reason).toMatch(/[a-z]{2}/);
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it("a reworded copy of another party's restricted item reaches only its holders, never with weaker handling", () => {
    let reachedHolders = 0;
    fc.assert(
      fc.property(rewordingArb, ({ env, original, facts }) => {
        const derived =
          original.originator !== env.sender &&
          needsOriginatorConsent(original.handlingCode, original.tlp) &&
          original.recipients.includes(env.sender) &&
          carriesSelectorsOf(facts.selectors!, original);
        const out = delivered(env, facts);
        if (!derived || out.length === 0) return;
        reachedHolders++;
        for (const node of out) expect([original.originator, ...original.recipients]).toContain(node);
        expect(env.handlingCode).toBeGreaterThanOrEqual(original.handlingCode);
        expect(env.tlp).toBeGreaterThanOrEqual(original.tlp);
      }),
      { seed: SEED, numRuns: RUNS },
    );
    // Not vacuous: corroboration among holders does happen in the generated cases.
    expect(reachedHolders).toBeGreaterThan(0);
  });

  it('nothing reaches a party above its clearance', () => {
    const order = ['H0', 'H1', 'H2', 'H3'];
    fc.assert(
      fc.property(caseArb, ({ env, facts }) => {
        for (const node of delivered(env, facts)) {
          expect(order.indexOf(directory.party(node)!.clearance)).toBeGreaterThanOrEqual(
            env.handlingCode - 1,
          );
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});
