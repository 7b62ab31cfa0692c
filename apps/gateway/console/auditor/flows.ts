/** Flows between two parties over a period: what went from one to the other, counted. */
import { view } from '../view.js';
import { useState } from 'preact/hooks';
import type { VNode } from 'preact';
import type { Api, FlowsPage } from '../api.js';
import { ProblemNotice, ScrollTable, TextField } from '../ui.js';
import { usePaged } from './paged.js';

type FlowCount = FlowsPage['items'][number];

const DAY_MS = 86_400_000;
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** A day typed in a date input as the start of that day in UTC. */
const startOfDay = (date: string) => (date === '' ? '' : `${date}T00:00:00Z`);

export function Flows(p: { api: Api; justification: () => string | undefined }): VNode {
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [since, setSince] = useState(() => day(Date.now() - 30 * DAY_MS));
  const [until, setUntil] = useState(() => day(Date.now() + DAY_MS));
  const [asked, setAsked] = useState('');
  const flows = usePaged<FlowCount>();

  const search = () => {
    const justification = p.justification();
    if (justification === undefined) return;
    const q = { from: from.trim(), to: to.trim(), since: startOfDay(since), until: startOfDay(until) };
    setAsked(`${q.from} → ${q.to}, ${since} to ${until}`);
    void flows.start((cursor) => p.api.flows(q, justification, cursor));
  };

  return view`<section aria-labelledby="flows-title">
    <h2 id="flows-title">Flows between two parties</h2>
    <form
      class="search"
      onSubmit=${(e: Event) => {
        e.preventDefault();
        search();
      }}
    >
      <${TextField} name="flows.from" label="From party" value=${from} onValue=${setFrom} required />
      <${TextField} name="flows.to" label="To party" value=${to} onValue=${setTo} required />
      <${TextField}
        name="flows.since"
        label="Since (UTC, inclusive)"
        type="date"
        value=${since}
        onValue=${setSince}
        required
      />
      <${TextField}
        name="flows.until"
        label="Until (UTC, exclusive)"
        type="date"
        value=${until}
        onValue=${setUntil}
        required
      />
      <button type="submit" disabled=${flows.busy}>Show the flows</button>
    </form>
    <${ProblemNotice} problem=${flows.problem} />
    ${
      flows.answered
        ? flows.items.length === 0
          ? view`<p role="status">Nothing went ${asked}.</p>`
          : view`<${ScrollTable} label="Flows">
              <table>
                <caption>
                  ${asked}
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Operation</th>
                    <th scope="col">Type</th>
                    <th scope="col">Handling code</th>
                    <th scope="col">Count</th>
                  </tr>
                </thead>
                <tbody>
                  ${flows.items.map(
                    (f) =>
                      view`<tr key=${`${f.operation}/${f.messageType}/${f.handlingCode}`}>
                        <td>${f.operation}</td>
                        <td>${f.messageType ?? ''}</td>
                        <td>${f.handlingCode ?? ''}</td>
                        <td class="number">${f.count}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>
            <//>`
        : null
    }
    ${
      flows.more
        ? view`<button
            type="button"
            class="secondary"
            disabled=${flows.busy}
            onClick=${() => void flows.next()}
          >
            Load more
          </button>`
        : null
    }
  </section>`;
}
