import type { Agreement, Party } from './party.js';
import { topicMatches } from './topics.js';

/** The participants of the exchange and the agreements with third countries, validated. */
export class Directory {
  private readonly byId: Map<string, Party>;

  constructor(
    parties: readonly Party[],
    private readonly agreementList: readonly Agreement[] = [],
  ) {
    this.byId = new Map(parties.map((p) => [p.id, p]));
  }

  /** The party with this node id, or undefined. */
  party(id: string): Party | undefined {
    return this.byId.get(id);
  }

  parties(): Party[] {
    return [...this.byId.values()];
  }

  nodeIds(): string[] {
    return [...this.byId.keys()];
  }

  /** Parties with at least one subscription matching `topic`. */
  subscribersOf(topic: string): Party[] {
    return this.parties().filter((p) => p.subscriptions.some((s) => topicMatches(s, topic)));
  }

  agreements(): Agreement[] {
    return [...this.agreementList];
  }

  /** The agreements in force for a third country on `dateIso` (YYYY-MM-DD). */
  agreementsFor(country: string, dateIso: string): Agreement[] {
    return this.agreementList.filter(
      (a) => a.country === country && (!a.validUntil || a.validUntil >= dateIso),
    );
  }
}
