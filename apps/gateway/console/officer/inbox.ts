/** The node's inbox, live: items appear as they arrive, newest first. */
import { view } from '../view.js';
import { useEffect, useState } from 'preact/hooks';
import type { VNode } from 'preact';
import type { Api, InboxEntry, Problem, Whoami } from '../api.js';
import { followInbox, type LiveState } from '../live-inbox.js';
import { ProblemNotice } from '../ui.js';
import { InboxItem } from './inbox-item.js';

export interface LiveInbox {
  items: InboxEntry[];
  state: LiveState;
  problem: Problem | null;
}

/** Follows the inbox for as long as the officer is signed in, whichever screen they are on. */
export function useLiveInbox(api: Api): LiveInbox {
  const [items, setItems] = useState<InboxEntry[]>([]);
  const [state, setState] = useState<LiveState>('connecting');
  const [problem, setProblem] = useState<Problem | null>(null);
  useEffect(() => {
    const control = new AbortController();
    void followInbox(
      (after, signal) => api.liveInbox(after, signal),
      0,
      {
        item: (entry) =>
          setItems((seen) => (seen.some((s) => s.seq === entry.seq) ? seen : [...seen, entry])),
        state: (s, p) => {
          setState(s);
          setProblem(p ?? null);
        },
      },
      control.signal,
    );
    return () => control.abort();
  }, [api]);
  return { items, state, problem };
}

const STATE_TEXT: Record<LiveState, string> = {
  connecting: 'Connecting…',
  live: 'Live: new items appear as they arrive',
  reconnecting: 'Connection lost; reconnecting…',
  ended: 'Stopped',
};

export function Inbox(p: { api: Api; me: Whoami; live: LiveInbox }): VNode {
  const { items, state, problem } = p.live;
  const newest = [...items].reverse();
  return view`<section aria-labelledby="inbox-title">
    <h2 id="inbox-title">Inbox of ${p.me.node}</h2>
    <p role="status" class=${`live ${state}`}>
      ${STATE_TEXT[state]} · ${items.length} item${items.length === 1 ? '' : 's'}
    </p>
    <${ProblemNotice} problem=${problem} title="The live inbox stopped" />
    ${
      newest.length === 0
        ? view`<p>Nothing has arrived yet.</p>`
        : view`<ol class="inbox" reversed>
            ${newest.map(
              (entry) =>
                view`<li key=${entry.seq}>
                  <${InboxItem} api=${p.api} me=${p.me} entry=${entry} scope=${`inbox-${entry.seq}`} />
                </li>`,
            )}
          </ol>`
    }
  </section>`;
}
