/** What an officer does with a message: acknowledge it, ask its originator to share it on, or recall their own. */
import { view } from '../view.js';
import { useState } from 'preact/hooks';
import type { VNode } from 'preact';
import { RECALL_REASONS, type Api, type Problem, type RecallReason } from '../api.js';
import { listOf } from '../route-report.js';
import { ProblemNotice, SelectField, TextArea, TextField, problemOfError } from '../ui.js';
import { placeViolations } from '../violations.js';

const REASON_LABELS: Record<RecallReason, string> = {
  RECALL_REASON_WITHDRAWN: 'Withdrawn',
  RECALL_REASON_INACCURATE: 'Inaccurate',
  RECALL_REASON_LEGAL_ORDER: 'Legal order',
};

type Open = 'consent' | 'recall' | null;

/**
 * The buttons for one message, and the small forms behind two of them. `scope` makes the ids of its inputs
 * unique on a page that shows several messages.
 */
export function MessageActions(p: {
  api: Api;
  messageId: string;
  as: 'recipient' | 'originator';
  scope: string;
}): VNode {
  const [open, setOpen] = useState<Open>(null);
  const [done, setDone] = useState<string | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);
  const [proposed, setProposed] = useState('');
  const [justification, setJustification] = useState('');
  const [reason, setReason] = useState<string>(RECALL_REASONS[0]);
  const [explanation, setExplanation] = useState('');

  const act = async (what: string, call: () => Promise<{ status: string }>) => {
    setBusy(true);
    setProblem(null);
    setDone(null);
    try {
      const answer = await call();
      setDone(`${what}: ${answer.status}`);
      setOpen(null);
    } catch (err) {
      setProblem(problemOfError(err));
    } finally {
      setBusy(false);
    }
  };
  const fieldsOf = (names: string[]) => placeViolations(problem?.violations ?? [], new Set(names)).byField;
  const name = (field: string) => `${p.scope}.${field}`;

  return view`<div class="message-actions">
    <div class="buttons">
      ${
        p.as === 'recipient'
          ? view`<button
                type="button"
                disabled=${busy}
                onClick=${() => void act('Acknowledged', () => p.api.acknowledge(p.messageId))}
              >
                Acknowledge
              </button>
              <button
                type="button"
                class="secondary"
                aria-expanded=${open === 'consent'}
                onClick=${() => setOpen(open === 'consent' ? null : 'consent')}
              >
                Request consent
              </button>`
          : view`<button
              type="button"
              class="secondary"
              aria-expanded=${open === 'recall'}
              onClick=${() => setOpen(open === 'recall' ? null : 'recall')}
            >
              Recall
            </button>`
      }
    </div>
    ${
      open === 'consent'
        ? (() => {
            const errors = fieldsOf(['proposedRecipients', 'justification']);
            return view`<form
              class="inline-form"
              aria-label="Request consent to share on"
              onSubmit=${(e: Event) => {
                e.preventDefault();
                void act('Consent requested', () =>
                  p.api.requestConsent(p.messageId, listOf(proposed), justification),
                );
              }}
            >
              <${TextField}
                name=${name('proposedRecipients')}
                label="Share on with (node ids)"
                value=${proposed}
                onValue=${setProposed}
                errors=${errors.get('proposedRecipients')}
              />
              <${TextArea}
                name=${name('justification')}
                label="Why"
                value=${justification}
                onValue=${setJustification}
                errors=${errors.get('justification')}
              />
              <button type="submit" disabled=${busy}>Send the request</button>
            </form>`;
          })()
        : null
    }
    ${
      open === 'recall'
        ? (() => {
            const errors = fieldsOf(['reason', 'explanation']);
            return view`<form
              class="inline-form"
              aria-label="Recall the message"
              onSubmit=${(e: Event) => {
                e.preventDefault();
                void act('Recalled', () => p.api.recall(p.messageId, reason as RecallReason, explanation));
              }}
            >
              <${SelectField}
                name=${name('reason')}
                label="Reason"
                value=${reason}
                choices=${RECALL_REASONS.map((r) => [r, REASON_LABELS[r]] as const)}
                onValue=${setReason}
                errors=${errors.get('reason')}
              />
              <${TextArea}
                name=${name('explanation')}
                label="Explanation"
                value=${explanation}
                onValue=${setExplanation}
                errors=${errors.get('explanation')}
              />
              <button type="submit" disabled=${busy}>Recall it</button>
            </form>`;
          })()
        : null
    }
    <${ProblemNotice} problem=${problem} />
    <p role="status" class="done">${done ?? ''}</p>
  </div>`;
}
