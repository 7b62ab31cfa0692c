import { describe, expect, it } from '@jest/globals';
import { ApiError, type InboxEntry, type Problem } from './api.js';
import { followInbox, type LiveState } from './live-inbox.js';

const item = (seq: number) =>
  `id: ${seq}\nevent: item\ndata: ${JSON.stringify({ seq, deliveredAt: '', sha256: '', vouched: false })}\n\n`;

const streamOf = (text: string) => new Response(text, { headers: { 'content-type': 'text/event-stream' } });

/** Records what followInbox reports, and the positions it asked to resume after. */
function recorder() {
  const items: number[] = [];
  const states: LiveState[] = [];
  const problems: Problem[] = [];
  const afters: number[] = [];
  const waits: number[] = [];
  return {
    items,
    states,
    problems,
    afters,
    waits,
    on: {
      item: (e: InboxEntry) => items.push(e.seq),
      state: (s: LiveState, p?: Problem) => {
        states.push(s);
        if (p) problems.push(p);
      },
    },
    wait: (ms: number) => {
      waits.push(ms);
      return Promise.resolve();
    },
  };
}

describe('followInbox', () => {
  it('reconnects after a dropped stream, resuming after the last item, at the pace the gateway asked for', async () => {
    const r = recorder();
    const control = new AbortController();
    const answers = [
      () => streamOf(`retry: 1500\n\n${item(1)}${item(2)}`),
      () => streamOf(item(3)),
      () => {
        control.abort();
        return Promise.reject(new DOMException('aborted', 'AbortError'));
      },
    ];
    await followInbox(
      (after) => {
        r.afters.push(after);
        return Promise.resolve(answers[r.afters.length - 1]());
      },
      0,
      r.on,
      control.signal,
      r.wait,
    );
    expect(r.items).toEqual([1, 2, 3]);
    expect(r.afters).toEqual([0, 2, 3]);
    expect(r.waits).toEqual([1500, 1500]);
    expect(r.states).toEqual(['connecting', 'live', 'reconnecting', 'live', 'reconnecting']);
  });

  it('ends for good when the stream ends because the credential was revoked', async () => {
    const r = recorder();
    await followInbox(
      (after) => {
        r.afters.push(after);
        return Promise.resolve(
          streamOf(
            `${item(4)}event: end\ndata: {"code":"GATEWAY.UNAUTHENTICATED","detail":"the credential has been revoked"}\n\n`,
          ),
        );
      },
      3,
      r.on,
      new AbortController().signal,
      r.wait,
    );
    expect(r.items).toEqual([4]);
    expect(r.afters).toEqual([3]);
    expect(r.states.at(-1)).toBe('ended');
    expect(r.problems).toEqual([
      { status: 0, code: 'GATEWAY.UNAUTHENTICATED', detail: 'the credential has been revoked' },
    ]);
  });

  it('keeps trying while the gateway cannot be reached, and stops on a refusal', async () => {
    const r = recorder();
    const refusals = [
      new ApiError({ status: 0, code: 'NETWORK', detail: 'the gateway cannot be reached' }),
      new ApiError({ status: 503, code: 'BUS.UNAVAILABLE', detail: 'later' }),
      new ApiError({ status: 403, code: 'GATEWAY.FORBIDDEN', detail: 'not an officer' }),
    ];
    await followInbox(
      (after) => {
        r.afters.push(after);
        return Promise.reject(refusals[r.afters.length - 1]);
      },
      0,
      r.on,
      new AbortController().signal,
      r.wait,
    );
    expect(r.afters).toEqual([0, 0, 0]);
    expect(r.waits).toEqual([3000, 3000]);
    expect(r.problems.map((p) => p.code)).toEqual(['GATEWAY.FORBIDDEN']);
  });
});
