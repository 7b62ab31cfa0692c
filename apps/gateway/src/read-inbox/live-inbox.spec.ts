import { describe, expect, it } from '@jest/globals';
import {
  endEvent,
  itemEvent,
  LIVE_HEARTBEAT_MS,
  LIVE_POLL_MS,
  LIVE_RECHECK_MS,
  resumeAfter,
  runLiveInbox,
  type LiveInboxDeps,
} from './live-inbox.js';
import type { InboxEntry, InboxPage } from './read-inbox.handler.js';

const item = (seq: number): InboxEntry => ({
  seq,
  deliveredAt: '2026-12-04T12:00:00.000Z',
  sha256: 'a'.repeat(64),
  vouched: true,
  envelope: { id: `item-${seq}` },
});

/** A simulated inbox and clock: `arrivals[t]` items appear at time t; the client leaves at `leaveAt`. */
function world(o: {
  arrivals: Record<number, number[]>;
  leaveAt: number;
  recheck?: (now: number) => void;
  failAt?: number;
}) {
  let now = 0;
  const written: string[] = [];
  const reads: number[] = [];
  const deps: LiveInboxDeps = {
    read: async (after): Promise<InboxPage> => {
      reads.push(after);
      if (o.failAt !== undefined && now >= o.failAt)
        throw Object.assign(new Error('x'), { code: 'BUS.UNAVAILABLE' });
      const seen = Object.entries(o.arrivals)
        .filter(([t]) => Number(t) <= now)
        .flatMap(([, seqs]) => seqs)
        .filter((s) => s > after)
        .sort((a, b) => a - b)
        .slice(0, 3);
      return { items: seen.map(item), nextAfter: seen.at(-1) ?? after };
    },
    recheck: async () => o.recheck?.(now),
    write: (c) => void written.push(c),
    sleep: async (ms) => void (now += ms),
    closed: () => now >= o.leaveAt,
    now: () => now,
  };
  return { deps, written, reads };
}

describe('runLiveInbox', () => {
  it('sends every item after the position, in order and once, as it arrives, pages and waits alike', async () => {
    const w = world({ arrivals: { 0: [1, 2, 3, 4], 2_000: [5], 9_000: [6, 7] }, leaveAt: 12_000 });
    expect(await runLiveInbox(1, 3, w.deps)).toBeUndefined();
    expect(w.written[0]).toBe('retry: 3000\n\n');
    const ids = w.written.filter((c) => c.startsWith('id: ')).map((c) => Number(/^id: (\d+)/.exec(c)![1]));
    expect(ids).toEqual([2, 3, 4, 5, 6, 7]);
    expect(w.written).toContain(itemEvent(item(5)));
    // It waited between empty looks rather than spinning.
    expect(w.reads.length).toBeLessThanOrEqual(12_000 / LIVE_POLL_MS + 3);
  });

  it('keeps a quiet stream open with a comment line', async () => {
    const w = world({ arrivals: {}, leaveAt: LIVE_HEARTBEAT_MS * 2 + 1 });
    await runLiveInbox(0, 3, w.deps);
    expect(w.written.filter((c) => c === ': keep-alive\n\n')).toHaveLength(2);
  });

  it('ends with the problem when the credential no longer holds, checked every few seconds', async () => {
    const w = world({
      arrivals: { 0: [1] },
      leaveAt: 60_000,
      recheck: (now) => {
        if (now >= 7_000)
          throw Object.assign(new Error('the credential has been revoked'), {
            code: 'GATEWAY.UNAUTHENTICATED',
          });
      },
    });
    expect(await runLiveInbox(0, 3, w.deps)).toEqual({
      code: 'GATEWAY.UNAUTHENTICATED',
      detail: 'the credential has been revoked',
    });
    // Checked at 5 s (held) and 10 s (revoked): nothing read after that.
    expect(w.reads.length).toBeLessThanOrEqual((2 * LIVE_RECHECK_MS) / LIVE_POLL_MS + 1);
  });

  it('ends, saying to reconnect, when the inbox cannot be read, and never names the cause', async () => {
    const w = world({ arrivals: { 0: [1] }, leaveAt: 60_000, failAt: 1_000 });
    const ended = await runLiveInbox(0, 3, w.deps);
    expect(ended).toEqual({
      code: 'BUS.UNAVAILABLE',
      detail: 'the inbox cannot be read now; reconnect to resume',
    });
    expect(endEvent(ended!)).toBe(`event: end\ndata: ${JSON.stringify(ended)}\n\n`);
  });
});

describe('resumeAfter', () => {
  it("resumes after an EventSource's last event id, or the query's position", () => {
    expect(resumeAfter(undefined, 7)).toBe(7);
    expect(resumeAfter('42', 7)).toBe(42);
    for (const bad of ['', '-1', '1.5', 'x', '9'.repeat(16), ['1']])
      expect(resumeAfter(bad, 7)).toBeUndefined();
  });
});
