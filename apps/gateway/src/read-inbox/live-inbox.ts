import type { InboxEntry, InboxPage } from './read-inbox.handler.js';

/** How often a live inbox looks for new items when the last look found none. */
export const LIVE_POLL_MS = 500;
/** How often a live inbox checks that its credential still holds (revoked or expired: the stream ends). */
export const LIVE_RECHECK_MS = 5_000;
/** A comment line this often keeps proxies from closing a quiet stream. */
export const LIVE_HEARTBEAT_MS = 15_000;
/** What a client's EventSource waits before it reconnects, resuming after the last id it saw. */
export const LIVE_RETRY_MS = 3_000;

/** One inbox item as a Server-Sent Event: its position is the event id, so a reconnect resumes after it. */
export function itemEvent(item: InboxEntry): string {
  return `id: ${item.seq}\nevent: item\ndata: ${JSON.stringify(item)}\n\n`;
}

/** The event that ends a stream, with the problem that ended it. */
export function endEvent(problem: { code: string; detail: string }): string {
  return `event: end\ndata: ${JSON.stringify(problem)}\n\n`;
}

/**
 * Where a live inbox starts: after the `Last-Event-ID` its EventSource sends on reconnecting, otherwise after
 * the `after` the query named (already checked).
 * @returns undefined when the header is not a position
 */
export function resumeAfter(lastEventId: unknown, after: number): number | undefined {
  if (lastEventId === undefined) return after;
  if (typeof lastEventId !== 'string' || !/^\d{1,15}$/.test(lastEventId)) return undefined;
  return Number(lastEventId);
}

export interface LiveInboxDeps {
  /** Reads the page after a position (audits each item consulted, as the paged read does). */
  read(after: number): Promise<InboxPage>;
  /** Throws when the credential no longer holds. */
  recheck(): Promise<void>;
  write(chunk: string): void;
  /** Resolves after `ms`, or early when the client went away. */
  sleep(ms: number): Promise<void>;
  closed(): boolean;
  now(): number;
}

/**
 * Runs a live inbox until the client goes away or something ends it: every item after `after` as it arrives,
 * in order, each consulted and audited as a page read is; the credential checked again every
 * LIVE_RECHECK_MS. Returns why it ended (undefined: the client left).
 */
export async function runLiveInbox(
  after: number,
  limit: number,
  d: LiveInboxDeps,
): Promise<{ code: string; detail: string } | undefined> {
  let cursor = after;
  let rechecked = d.now();
  let beat = d.now();
  d.write(`retry: ${LIVE_RETRY_MS}\n\n`);
  while (!d.closed()) {
    if (d.now() - rechecked >= LIVE_RECHECK_MS) {
      try {
        await d.recheck();
      } catch (err) {
        const e = err as { code?: string; message?: string };
        return {
          code: e.code ?? 'GATEWAY.UNAUTHENTICATED',
          detail: e.message ?? 'the credential no longer holds',
        };
      }
      rechecked = d.now();
    }
    let page: InboxPage;
    try {
      page = await d.read(cursor);
    } catch (err) {
      const e = err as { code?: string };
      return {
        code: e.code ?? 'INTERNAL.UNEXPECTED',
        detail: 'the inbox cannot be read now; reconnect to resume',
      };
    }
    if (d.closed()) return undefined;
    for (const item of page.items) d.write(itemEvent(item));
    cursor = page.nextAfter;
    if (page.items.length > 0) beat = d.now();
    if (page.items.length < limit) {
      if (d.now() - beat >= LIVE_HEARTBEAT_MS) {
        d.write(': keep-alive\n\n');
        beat = d.now();
      }
      await d.sleep(LIVE_POLL_MS);
    }
  }
  return undefined;
}
