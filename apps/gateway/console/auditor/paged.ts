/** Pages of an audit query, read on with "Load more" while the answer names a next cursor. */
import { useState } from 'preact/hooks';
import type { Page, Problem } from '../api.js';
import { problemOfError } from '../ui.js';

export interface Paged<T> {
  items: T[];
  /** Whether a query has answered (an empty answer is still an answer). */
  answered: boolean;
  more: boolean;
  busy: boolean;
  problem: Problem | null;
  /** Runs a new query from its first page. */
  start(read: (cursor?: string) => Promise<Page<T>>): Promise<void>;
  /** Reads the next page of the last query. */
  next(): Promise<void>;
}

export function usePaged<T>(): Paged<T> {
  const [items, setItems] = useState<T[]>([]);
  const [answered, setAnswered] = useState(false);
  const [cursor, setCursor] = useState<string | null>(null);
  const [read, setRead] = useState<((cursor?: string) => Promise<Page<T>>) | null>(null);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);

  const load = async (q: (cursor?: string) => Promise<Page<T>>, from: string | undefined, fresh: boolean) => {
    setBusy(true);
    setProblem(null);
    try {
      const page = await q(from);
      setItems((seen) => (fresh ? page.items : [...seen, ...page.items]));
      setCursor(page.nextCursor);
      setAnswered(true);
    } catch (err) {
      if (fresh) {
        setItems([]);
        setAnswered(false);
      }
      setProblem(problemOfError(err));
    } finally {
      setBusy(false);
    }
  };
  return {
    items,
    answered,
    more: cursor !== null,
    busy,
    problem,
    start: async (q) => {
      // A function kept in state must be wrapped, or Preact would call it as an updater.
      setRead(() => q);
      await load(q, undefined, true);
    },
    next: async () => {
      if (read && cursor !== null) await load(read, cursor, false);
    },
  };
}
