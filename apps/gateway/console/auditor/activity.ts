/** One officer's activity: what they did, in time order. */
import { view } from '../view.js';
import { useState } from 'preact/hooks';
import type { VNode } from 'preact';
import type { Api, AuditRecord } from '../api.js';
import { ProblemNotice, TextField } from '../ui.js';
import { AuditTable } from './audit-table.js';
import { usePaged } from './paged.js';

const startOfDay = (date: string) => (date === '' ? undefined : `${date}T00:00:00Z`);

export function Activity(p: { api: Api; justification: () => string | undefined }): VNode {
  const [officer, setOfficer] = useState('');
  const [since, setSince] = useState('');
  const [until, setUntil] = useState('');
  const [shown, setShown] = useState('');
  const rows = usePaged<AuditRecord>();

  const search = () => {
    const justification = p.justification();
    const who = officer.trim();
    if (justification === undefined || who === '') return;
    setShown(who);
    const period = { since: startOfDay(since), until: startOfDay(until) };
    void rows.start((cursor) => p.api.officerActivity(who, period, justification, cursor));
  };

  return view`<section aria-labelledby="activity-title">
    <h2 id="activity-title">An officer's activity</h2>
    <form
      class="search"
      onSubmit=${(e: Event) => {
        e.preventDefault();
        search();
      }}
    >
      <${TextField}
        name="activity.officer"
        label="Officer (node.name)"
        value=${officer}
        onValue=${setOfficer}
        required
      />
      <${TextField}
        name="activity.since"
        label="Since (UTC, optional)"
        type="date"
        value=${since}
        onValue=${setSince}
      />
      <${TextField}
        name="activity.until"
        label="Until (UTC, optional)"
        type="date"
        value=${until}
        onValue=${setUntil}
      />
      <button type="submit" disabled=${rows.busy}>Show the activity</button>
    </form>
    <${ProblemNotice} problem=${rows.problem} />
    ${
      rows.answered
        ? rows.items.length === 0
          ? view`<p role="status">No activity of ${shown} in that period.</p>`
          : view`<${AuditTable} label=${`Activity of ${shown}`} rows=${rows.items} />`
        : null
    }
    ${
      rows.more
        ? view`<button
            type="button"
            class="secondary"
            disabled=${rows.busy}
            onClick=${() => void rows.next()}
          >
            Load more
          </button>`
        : null
    }
  </section>`;
}
