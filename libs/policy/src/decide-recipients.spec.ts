import { describe, expect, it } from '@jest/globals';
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import {
  EnvelopeSchema,
  HandlingCode,
  ReleasabilityScope,
  ReleasabilitySchema,
  RouteReportSchema,
  SmugglingRoute,
  Tlp,
} from '#contracts';
import { parseDirectory } from '#directory';
import { decideRecipients } from './decide-recipients.js';
import { topicsOf } from './topics.js';

const directory = parseDirectory({
  parties: [
    {
      id: 'emlo-ne',
      kind: 'liaison-officer',
      name: 'EMLO Niamey',
      country: 'NE',
      clearance: 'H2',
      subscriptions: [],
    },
    {
      id: 'cp-it',
      kind: 'contact-point',
      name: 'CP Italy',
      country: 'IT',
      clearance: 'H3',
      subscriptions: ['intel.*.central-med'],
    },
    {
      id: 'cp-gr',
      kind: 'contact-point',
      name: 'CP Greece',
      country: 'GR',
      clearance: 'H3',
      subscriptions: ['intel.*.eastern-med'],
    },
    {
      id: 'jot-mare',
      kind: 'jot-mare',
      name: 'JOT MARE',
      country: 'NL',
      clearance: 'H3',
      subscriptions: ['intel.>'],
    },
  ],
});

const withPartner = parseDirectory({
  parties: [
    ...directory.parties(),
    {
      id: 'afic-partner-ne',
      kind: 'afic-partner',
      name: 'AFIC partner, Niger',
      country: 'NE',
      clearance: 'H1',
      subscriptions: ['intel.route.>'],
    },
    {
      id: 'euaa',
      kind: 'eu-agency',
      name: 'EUAA',
      country: 'MT',
      clearance: 'H1',
      subscriptions: ['intel.route.>'],
    },
  ],
});

function routeReport(over: MessageInitShape<typeof EnvelopeSchema> = {}) {
  return create(EnvelopeSchema, {
    id: '0193a1b2-0000-7000-8000-000000000001',
    sender: 'emlo-ne',
    author: 'emlo-ne.officer-17',
    route: SmugglingRoute.CENTRAL_MEDITERRANEAN,
    handlingCode: HandlingCode.H1,
    tlp: Tlp.AMBER,
    payload: { case: 'routeReport', value: create(RouteReportSchema, { departureArea: 'Zuwara coast' }) },
    ...over,
  });
}

describe('topics', () => {
  it('derives intel.<type>.<route> from the payload and route', () => {
    expect(topicsOf(routeReport())).toEqual(['intel.route.central-med']);
    expect(topicsOf(routeReport({ route: SmugglingRoute.UNSPECIFIED }))).toEqual(['intel.route.unspecified']);
  });

  it('gives control messages no topic', () => {
    expect(topicsOf(routeReport({ payload: { case: 'recall', value: {} as never } }))).toEqual([]);
  });
});

describe('decideRecipients', () => {
  it('delivers to topic subscribers and never back to the sender', () => {
    const decisions = decideRecipients(routeReport(), directory);
    expect(decisions).toEqual([
      {
        recipient: 'cp-it',
        outcome: 'delivered',
        rule: 'POLICY.ALLOWED',
        reason: 'subscribed to intel.route.central-med',
      },
      {
        recipient: 'jot-mare',
        outcome: 'delivered',
        rule: 'POLICY.ALLOWED',
        reason: 'subscribed to intel.route.central-med',
      },
    ]);
  });

  it('adds named recipients even without a subscription', () => {
    const decisions = decideRecipients(routeReport({ recipients: ['cp-gr'] }), directory);
    expect(decisions.map((d) => [d.recipient, d.outcome])).toEqual([
      ['cp-gr', 'delivered'],
      ['cp-it', 'delivered'],
      ['jot-mare', 'delivered'],
    ]);
  });

  it('withholds TLP RED from subscribers that were not named', () => {
    const decisions = decideRecipients(routeReport({ tlp: Tlp.RED, recipients: ['cp-it'] }), directory);
    expect(decisions).toEqual([
      { recipient: 'cp-it', outcome: 'delivered', rule: 'POLICY.ALLOWED', reason: 'named by the sender' },
      {
        recipient: 'jot-mare',
        outcome: 'withheld',
        rule: 'POLICY.TLP_RED_NAMED_ONLY',
        reason: 'TLP RED and jot-mare was not named by the sender',
      },
    ]);
  });

  it('withholds from a named recipient that is not in the directory', () => {
    const decisions = decideRecipients(routeReport({ recipients: ['cp-xx'] }), directory);
    expect(decisions.find((d) => d.recipient === 'cp-xx')).toMatchObject({
      outcome: 'withheld',
      rule: 'POLICY.RECIPIENT_UNKNOWN',
    });
  });

  it('withholds a handling code above the recipient clearance', () => {
    const decisions = decideRecipients(routeReport({ handlingCode: HandlingCode.H2 }), withPartner);
    expect(decisions.find((d) => d.recipient === 'euaa')).toMatchObject({
      outcome: 'withheld',
      rule: 'POLICY.RECIPIENT_NOT_CLEARED',
      reason: 'H2 exceeds the clearance of euaa (H1)',
    });
    expect(decisions.find((d) => d.recipient === 'cp-it')).toMatchObject({ outcome: 'delivered' });
  });

  it('withholds from a third country unless the item is released to it', () => {
    const eu = decideRecipients(
      routeReport({ releasability: create(ReleasabilitySchema, { scope: ReleasabilityScope.EU_ONLY }) }),
      withPartner,
    );
    expect(eu.find((d) => d.recipient === 'afic-partner-ne')).toMatchObject({
      outcome: 'withheld',
      rule: 'POLICY.THIRD_COUNTRY_NOT_RELEASABLE',
    });
    const released = decideRecipients(
      routeReport({
        releasability: create(ReleasabilitySchema, {
          scope: ReleasabilityScope.THIRD_COUNTRIES,
          thirdCountries: ['NE'],
        }),
      }),
      withPartner,
    );
    expect(released.find((d) => d.recipient === 'afic-partner-ne')).toMatchObject({ outcome: 'delivered' });
    const elsewhere = decideRecipients(
      routeReport({
        releasability: create(ReleasabilitySchema, {
          scope: ReleasabilityScope.THIRD_COUNTRIES,
          thirdCountries: ['SN'],
        }),
      }),
      withPartner,
    );
    expect(elsewhere.find((d) => d.recipient === 'afic-partner-ne')).toMatchObject({ outcome: 'withheld' });
  });

  it('gives every candidate exactly one decision', () => {
    const decisions = decideRecipients(
      routeReport({ recipients: ['cp-it', 'jot-mare', 'cp-gr'] }),
      directory,
    );
    const recipients = decisions.map((d) => d.recipient);
    expect(new Set(recipients).size).toBe(recipients.length);
    expect(recipients.sort()).toEqual(['cp-gr', 'cp-it', 'jot-mare']);
  });
});
