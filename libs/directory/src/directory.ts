import type { Party } from './party.js';
import { topicMatches } from './topics.js';

/** The participants of the exchange, validated; the single source for routing and broker permissions. */
export class Directory {
  private readonly byId: Map<string, Party>;

  constructor(parties: readonly Party[]) {
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
}
