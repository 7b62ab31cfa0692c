/** Small pieces every screen uses: labelled fields with their errors, problems, times, tables. */
import { view } from './view.js';
import type { ComponentChildren, VNode } from 'preact';
import type { Problem, Violation } from './api.js';

/** The id of a field's input, from its envelope path (`routeReport.segments[0].fromCountry`). */
export const fieldId = (name: string): string => `f-${name.replace(/[^A-Za-z0-9]+/g, '-')}`;
const errorsId = (name: string): string => `${fieldId(name)}-errors`;

/** The attributes that tie an input to its label and errors. */
export const inputAttrs = (name: string, errors: readonly Violation[] | undefined) => ({
  id: fieldId(name),
  name,
  'aria-invalid': errors && errors.length > 0 ? 'true' : undefined,
  'aria-describedby': errors && errors.length > 0 ? errorsId(name) : undefined,
});

/** The errors of one field, right below it, each saying what to do. */
export function FieldErrors(p: { name: string; errors: readonly Violation[] | undefined }): VNode | null {
  if (!p.errors || p.errors.length === 0) return null;
  return view`<ul class="field-errors" id=${errorsId(p.name)}>
    ${p.errors.map((v) => view`<li key=${v.rule + v.message}>${v.message}</li>`)}
  </ul>`;
}

interface FieldProps {
  name: string;
  label: string;
  value: string;
  onValue: (value: string) => void;
  errors?: readonly Violation[];
  hint?: string;
  type?: string;
  required?: boolean;
  placeholder?: string;
  autocomplete?: string;
}

/** A labelled text input, its hint and its errors. */
export function TextField(p: FieldProps): VNode {
  const hintId = p.hint ? `${fieldId(p.name)}-hint` : undefined;
  const attrs = inputAttrs(p.name, p.errors);
  const describedBy = [hintId, attrs['aria-describedby']].filter(Boolean).join(' ') || undefined;
  return view`<div class="field">
    <label for=${attrs.id}>${p.label}${p.required ? view`<span aria-hidden="true"> *</span>` : null}</label>
    ${p.hint ? view`<p class="hint" id=${hintId}>${p.hint}</p>` : null}
    <input
      ...${attrs}
      aria-describedby=${describedBy}
      type=${p.type ?? 'text'}
      value=${p.value}
      required=${p.required}
      placeholder=${p.placeholder}
      autocomplete=${p.autocomplete ?? 'off'}
      onInput=${(e: Event) => p.onValue((e.currentTarget as HTMLInputElement).value)}
    />
    <${FieldErrors} name=${p.name} errors=${p.errors} />
  </div>`;
}

/** A labelled multi-line input. */
export function TextArea(p: Omit<FieldProps, 'type'>): VNode {
  const attrs = inputAttrs(p.name, p.errors);
  return view`<div class="field">
    <label for=${attrs.id}>${p.label}</label>
    <textarea
      ...${attrs}
      rows="3"
      value=${p.value}
      required=${p.required}
      onInput=${(e: Event) => p.onValue((e.currentTarget as HTMLTextAreaElement).value)}
    ></textarea>
    <${FieldErrors} name=${p.name} errors=${p.errors} />
  </div>`;
}

/** A labelled select; `blank` adds an empty first choice. */
export function SelectField(
  p: Omit<FieldProps, 'type' | 'placeholder'> & {
    choices: readonly (readonly [string, string])[];
    blank?: string;
  },
): VNode {
  const attrs = inputAttrs(p.name, p.errors);
  return view`<div class="field">
    <label for=${attrs.id}>${p.label}</label>
    <select
      ...${attrs}
      required=${p.required}
      onChange=${(e: Event) => p.onValue((e.currentTarget as HTMLSelectElement).value)}
    >
      ${p.blank !== undefined ? view`<option value="" selected=${p.value === ''}>${p.blank}</option>` : null}
      ${p.choices.map(
        ([value, label]) =>
          view`<option key=${value} value=${value} selected=${p.value === value}>${label}</option>`,
      )}
    </select>
    <${FieldErrors} name=${p.name} errors=${p.errors} />
  </div>`;
}

/** A problem the gateway answered, with what names no field listed under it. */
export function ProblemNotice(p: { problem: Problem | null; title?: string }): VNode | null {
  if (!p.problem) return null;
  const { problem } = p;
  return view`<div class="problem" role="alert">
    <p>
      <strong>${p.title ?? 'The gateway refused this'}:</strong> ${problem.detail}
      <span class="code"> (${problem.code}${problem.correlationId ? `, ${problem.correlationId}` : ''})</span>
    </p>
    ${
      problem.violations && problem.violations.length > 0
        ? view`<ul>
            ${problem.violations.map(
              (v) =>
                view`<li key=${v.field + v.rule}>
                  ${v.field === '' ? 'The message' : v.field}: ${v.message}
                </li>`,
            )}
          </ul>`
        : null
    }
  </div>`;
}

/** A time as the person reads it (their time zone), with the exact value kept for machines. */
export function Time(p: { at: string | null | undefined }): VNode | null {
  if (!p.at) return null;
  const at = new Date(p.at);
  return view`<time datetime=${p.at}>${Number.isNaN(at.getTime()) ? p.at : at.toLocaleString()}</time>`;
}

/** A table that may be wider than the screen: scrolls sideways, reachable by keyboard. */
export function ScrollTable(p: { label: string; children: ComponentChildren }): VNode {
  return view`<div class="table-scroll" role="region" aria-label=${p.label} tabindex="0">${p.children}</div>`;
}

/** The message of a failure that is no ApiError (a bug, a JSON answer that is not), as a problem to show. */
export const problemOfError = (err: unknown): Problem =>
  typeof err === 'object' && err !== null && 'problem' in err
    ? (err as { problem: Problem }).problem
    : { status: 0, code: 'CONSOLE.UNEXPECTED', detail: err instanceof Error ? err.message : String(err) };
