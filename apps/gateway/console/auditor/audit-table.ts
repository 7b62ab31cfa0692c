/** Audit rows as a table: every column an auditor needs to follow what happened, in the trail's order. */
import { view } from '../view.js';
import type { VNode } from 'preact';
import type { AuditRecord } from '../api.js';
import { ScrollTable, Time } from '../ui.js';

export function AuditTable(p: { label: string; rows: readonly AuditRecord[] }): VNode {
  return view`<${ScrollTable} label=${p.label}>
    <table class="audit">
      <caption>
        ${p.label}
      </caption>
      <thead>
        <tr>
          <th scope="col">Seq</th>
          <th scope="col">Recorded</th>
          <th scope="col">Operation</th>
          <th scope="col">Actor</th>
          <th scope="col">Person</th>
          <th scope="col">Counterpart</th>
          <th scope="col">Message</th>
          <th scope="col">Type</th>
          <th scope="col">Rule</th>
          <th scope="col">Justification</th>
        </tr>
      </thead>
      <tbody>
        ${p.rows.map(
          (r) =>
            view`<tr key=${r.seq} class=${r.operation}>
              <td>${r.seq}</td>
              <td><${Time} at=${r.recordedAt} /></td>
              <td>${r.operation}</td>
              <td>${r.actorNode}</td>
              <td>${r.actorPerson ?? ''}</td>
              <td>${r.counterpartNode ?? ''}</td>
              <td><code>${r.messageId ?? ''}</code></td>
              <td>${r.messageType ?? ''}</td>
              <td>${r.rule ? view`<code>${r.rule}</code>` : ''}</td>
              <td>${r.justification ?? ''}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  <//>`;
}
