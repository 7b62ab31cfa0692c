import type { PayloadType } from '#contracts';
import type { Agreement, Party } from './party.js';
import { DEFAULT_RETENTION, retentionDaysOf, type RetentionPolicy } from './retention.js';
import { topicMatches } from './topics.js';

/** How many topics' subscribers a directory remembers: every type and route MSX publishes, with room to spare. */
export const SUBSCRIBER_CACHE_TOPICS = 1_024;

/** The participants of the exchange and the agreements with third countries, validated. */
export class Directory {
  private readonly byId: Map<string, Party>;
  /** {@link subscribersOf} by topic: the directory never changes, and topics are few (a type and a route). */
  private readonly subscribersByTopic = new Map<string, readonly Party[]>();

  constructor(
    parties: readonly Party[],
    private readonly agreementList: readonly Agreement[] = [],
    /** How long recipients keep each type (directory `retention:`). */
    readonly retention: RetentionPolicy = DEFAULT_RETENTION,
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

  /**
   * Parties with at least one subscription matching `topic`. Matched once per topic and then remembered, so
   * routing does not split every subscription of every party for every message; at most
   * {@link SUBSCRIBER_CACHE_TOPICS} topics are remembered, so no stream of odd topics can grow it.
   */
  subscribersOf(topic: string): readonly Party[] {
    const known = this.subscribersByTopic.get(topic);
    if (known) return known;
    const found = this.parties().filter((p) => p.subscriptions.some((s) => topicMatches(s, topic)));
    if (this.subscribersByTopic.size < SUBSCRIBER_CACHE_TOPICS) this.subscribersByTopic.set(topic, found);
    return found;
  }

  /** How many days a recipient may keep an item of `type`. */
  retentionDays(type: PayloadType): number {
    return retentionDaysOf(this.retention, type);
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
