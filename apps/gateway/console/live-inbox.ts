import { ApiError, type InboxEntry, type Problem } from './api.js';
import { readEvents, SseParser } from './sse.js';

/** Where a live inbox stands, as the console shows it. */
export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'ended';

/** What opens the stream: `Api.liveInbox`. */
export type OpenLiveInbox = (after: number, signal: AbortSignal) => Promise<Response>;

export interface LiveInboxHandlers {
  item(entry: InboxEntry): void;
  state(state: LiveState, problem?: Problem): void;
}

/** How long to wait before reconnecting when the gateway names no time, in milliseconds (as EventSource). */
export const DEFAULT_RETRY_MS = 3_000;

/** Codes that end a live inbox for good: the credential no longer holds, or its role may not read. */
const FINAL_CODES: ReadonlySet<string> = new Set([
  'GATEWAY.UNAUTHENTICATED',
  'GATEWAY.FORBIDDEN',
  'GATEWAY.OFFICER_NOT_OF_NODE',
]);

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });

/**
 * Follows the node's inbox live, as EventSource would but with the credential in a header: every item after
 * `after` as it arrives; when the stream breaks (the network, a stopping gateway, an inbox that cannot be read
 * now) it reconnects after the time the gateway asked for, resuming after the last item seen. It stops when
 * `signal` aborts, or for good when the gateway refuses the credential (the state `ended`, with the problem).
 */
export async function followInbox(
  open: OpenLiveInbox,
  after: number,
  on: LiveInboxHandlers,
  signal: AbortSignal,
  wait: (ms: number, signal: AbortSignal) => Promise<void> = sleep,
): Promise<void> {
  let last = after;
  let retryMs = DEFAULT_RETRY_MS;
  on.state('connecting');
  while (!signal.aborted) {
    const parser = new SseParser();
    try {
      const res = await open(last, signal);
      if (!res.body) throw new Error('no body');
      on.state('live');
      let ended: Problem | undefined;
      await readEvents(res.body, parser, (e) => {
        if (e.event === 'item') {
          const entry = JSON.parse(e.data) as InboxEntry;
          last = Math.max(last, entry.seq);
          on.item(entry);
        } else if (e.event === 'end') {
          ended = { status: 0, ...(JSON.parse(e.data) as { code: string; detail: string }) };
        }
      });
      if (ended && FINAL_CODES.has(ended.code)) {
        on.state('ended', ended);
        return;
      }
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof ApiError && err.status >= 400 && err.status < 500 && err.status !== 429) {
        on.state('ended', err.problem);
        return;
      }
    } finally {
      if (parser.retryMs !== undefined) retryMs = parser.retryMs;
    }
    if (signal.aborted) return;
    on.state('reconnecting');
    await wait(retryMs, signal);
  }
}
