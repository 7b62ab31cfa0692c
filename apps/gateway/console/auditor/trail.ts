/** An auditor follows one message: its trail as a picture, and every row as a table. */
import { view } from '../view.js';
import { useMemo, useState } from 'preact/hooks';
import type { VNode } from 'preact';
import type { Api, AuditRecord } from '../api.js';
import { trailGraph } from '../trail-graph.js';
import { ProblemNotice, TextField } from '../ui.js';
import { AuditTable } from './audit-table.js';
import { usePaged } from './paged.js';
import { TrailPicture } from './trail-picture.js';

export function Trail(p: { api: Api; justification: () => string | undefined }): VNode {
  const [id, setId] = useState('');
  const [shown, setShown] = useState('');
  const rows = usePaged<AuditRecord>();
  const graph = useMemo(() => trailGraph(shown, rows.items), [shown, rows.items]);

  const search = () => {
    const justification = p.justification();
    const messageId = id.trim();
    if (justification === undefined || messageId === '') return;
    setShown(messageId);
    void rows.start((cursor) => p.api.trail(messageId, justification, cursor));
  };

  return view`<section aria-labelledby="trail-title">
    <h2 id="trail-title">Trail of a message</h2>
    <form
      class="search"
      onSubmit=${(e: Event) => {
        e.preventDefault();
        search();
      }}
    >
      <${TextField} name="trail.messageId" label="Message id" value=${id} onValue=${setId} required />
      <button type="submit" disabled=${rows.busy}>Show the trail</button>
    </form>
    <${ProblemNotice} problem=${rows.problem} />
    <div role="status">
      ${
        rows.answered
          ? view`<p>
              ${rows.items.length} row${rows.items.length === 1 ? '' : 's'} of <code>${shown}</code>${rows.more ? ' so far' : ''}.
            </p>`
          : null
      }
    </div>
    ${
      rows.answered && rows.items.length > 0
        ? view`<${TrailPicture} messageId=${shown} graph=${graph} />
            <${AuditTable} label=${`Rows of the trail of ${shown}`} rows=${rows.items} />`
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
