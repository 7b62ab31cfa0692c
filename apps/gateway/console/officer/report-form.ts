/** The officer's route report: every field labelled, each violation next to its field, a preview, submission. */
import { view } from '../view.js';
import { useMemo, useRef, useState } from 'preact/hooks';
import type { VNode } from 'preact';
import { ApiError, type Api, type PreviewResult, type Problem, type SubmitResult } from '../api.js';
import {
  emptyRouteReport,
  emptySegment,
  envelopeOf,
  formFields,
  HANDLING_CODES,
  INFORMATION_ACCURACIES,
  PURPOSES,
  RELEASABILITY_SCOPES,
  ROUTES,
  SOURCE_RELIABILITIES,
  TLPS,
  TRANSPORT_MODES,
  uuidv7,
  type RouteReportDraft,
  type SegmentDraft,
} from '../route-report.js';
import {
  FieldErrors,
  fieldId,
  ProblemNotice,
  ScrollTable,
  SelectField,
  TextArea,
  TextField,
  problemOfError,
} from '../ui.js';
import { placeViolations, type PlacedViolations } from '../violations.js';

const NO_VIOLATIONS: PlacedViolations = { byField: new Map(), general: [] };

/** How long to wait before sending a submission again that the gateway could not take (503), in ms. */
const RETRY_DELAY_MS = 2_000;
/** How often a submission is sent again after 503 before the officer is told. */
const RETRIES = 3;

export function ReportForm(p: { api: Api }): VNode {
  const [draft, setDraft] = useState<RouteReportDraft>(emptyRouteReport);
  // The id stays the same until a submission is accepted: sent again, it is the same message (routed once).
  const id = useRef(uuidv7());
  const [placed, setPlaced] = useState<PlacedViolations>(NO_VIOLATIONS);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [preview, setPreview] = useState<PreviewResult | null>(null);
  const [submitted, setSubmitted] = useState<SubmitResult | null>(null);
  const [busy, setBusy] = useState<'preview' | 'submit' | null>(null);
  const summary = useRef<HTMLDivElement>(null);
  const fields = useMemo(() => formFields(draft), [draft]);

  const set =
    <K extends keyof RouteReportDraft>(key: K) =>
    (value: RouteReportDraft[K]) =>
      setDraft((d) => ({ ...d, [key]: value }));
  const setSegment = (i: number, key: keyof SegmentDraft) => (value: string) =>
    setDraft((d) => ({ ...d, segments: d.segments.map((s, j) => (j === i ? { ...s, [key]: value } : s)) }));
  const errors = (name: string) => placed.byField.get(name);

  const refused = (err: unknown) => {
    const pr = problemOfError(err);
    const violations = pr.violations ?? [];
    const where = placeViolations(violations, fields);
    setPlaced(where);
    // An invalid report is told field by field; the problem itself only for what names no field.
    setProblem(
      pr.code === 'CONTRACT.INVALID' && where.general.length === 0
        ? null
        : { ...pr, violations: where.general },
    );
    // Tell the officer at once, and let them jump to each field from the summary.
    requestAnimationFrame(() => summary.current?.focus());
  };

  const run = async (kind: 'preview' | 'submit') => {
    setBusy(kind);
    setProblem(null);
    setPlaced(NO_VIOLATIONS);
    setSubmitted(null);
    if (kind === 'submit') setPreview(null);
    const envelope = envelopeOf(draft, id.current);
    try {
      if (kind === 'preview') setPreview(await p.api.preview(envelope));
      else {
        setSubmitted(await submitWithRetry(p.api, envelope));
        id.current = uuidv7();
        setDraft(emptyRouteReport());
      }
    } catch (err) {
      if (kind === 'preview') setPreview(null);
      refused(err);
    } finally {
      setBusy(null);
    }
  };

  const count = placed.general.length + [...placed.byField.values()].reduce((n, v) => n + v.length, 0);
  return view`<section aria-labelledby="report-title">
    <h2 id="report-title">New route report</h2>
    <form
      class="report"
      novalidate
      onSubmit=${(e: Event) => {
        e.preventDefault();
        void run('submit');
      }}
    >
      <div ref=${summary} tabindex="-1" class=${count > 0 || problem ? 'error-summary' : 'hidden'}>
        ${
          count > 0
            ? view`<h3>The report breaks ${count} rule${count === 1 ? '' : 's'}</h3>
                <ul>
                  ${[...placed.byField.entries()].map(
                    ([field, vs]) =>
                      view`<li key=${field}>
                        <button
                          type="button"
                          class="link"
                          onClick=${() => document.getElementById(fieldId(field))?.focus()}
                        >
                          ${field}
                        </button>
                        : ${vs.map((v) => v.message).join('; ')}
                      </li>`,
                  )}
                </ul>`
            : null
        }
        <${ProblemNotice} problem=${problem} title=${problemTitle(problem)} />
      </div>

      <fieldset>
        <legend>Who may see it</legend>
        <${TextField}
          name="recipients"
          label="Named recipients"
          hint="Node ids, separated by commas (cp-it, jot-mare). Subscribers of the route receive it too, unless a rule withholds it."
          value=${draft.recipients}
          onValue=${set('recipients')}
          errors=${errors('recipients')}
        />
        <${SelectField}
          name="route"
          label="Route"
          value=${draft.route}
          choices=${ROUTES}
          onValue=${set('route')}
          errors=${errors('route')}
        />
        <${SelectField}
          name="handlingCode"
          label="Handling code"
          value=${draft.handlingCode}
          choices=${HANDLING_CODES}
          onValue=${set('handlingCode')}
          errors=${errors('handlingCode')}
        />
        ${
          draft.handlingCode === 'HANDLING_CODE_H3' || errors('handlingRestriction')
            ? view`<${TextField}
                name="handlingRestriction"
                label="Handling restriction (H3)"
                value=${draft.handlingRestriction}
                onValue=${set('handlingRestriction')}
                errors=${errors('handlingRestriction')}
              />`
            : null
        }
        <${SelectField}
          name="tlp"
          label="Traffic Light Protocol"
          value=${draft.tlp}
          choices=${TLPS}
          onValue=${set('tlp')}
          errors=${errors('tlp')}
        />
        <fieldset class="group">
          <legend>Releasability</legend>
          <${FieldErrors} name="releasability" errors=${errors('releasability')} />
          <${SelectField}
            name="releasability.scope"
            label="Releasable to"
            value=${draft.releasabilityScope}
            choices=${RELEASABILITY_SCOPES}
            onValue=${set('releasabilityScope')}
            errors=${errors('releasability.scope')}
          />
          <${TextField}
            name="releasability.thirdCountries"
            label="Third countries (ISO codes)"
            hint="Only when releasable to third countries, for example NE, SN."
            value=${draft.thirdCountries}
            onValue=${set('thirdCountries')}
            errors=${errors('releasability.thirdCountries')}
          />
        </fieldset>
      </fieldset>

      <fieldset>
        <legend>Evaluation and purpose</legend>
        <${FieldErrors} name="evaluation" errors=${errors('evaluation')} />
        <${SelectField}
          name="evaluation.sourceReliability"
          label="Source reliability"
          blank="— choose —"
          value=${draft.sourceReliability}
          choices=${SOURCE_RELIABILITIES}
          onValue=${set('sourceReliability')}
          errors=${errors('evaluation.sourceReliability')}
        />
        <${SelectField}
          name="evaluation.informationAccuracy"
          label="Information accuracy"
          blank="— choose —"
          value=${draft.informationAccuracy}
          choices=${INFORMATION_ACCURACIES}
          onValue=${set('informationAccuracy')}
          errors=${errors('evaluation.informationAccuracy')}
        />
        <div class="field checkbox">
          <input
            type="checkbox"
            id=${fieldId('containsPersonalData')}
            name="containsPersonalData"
            checked=${draft.containsPersonalData}
            aria-describedby=${errors('containsPersonalData') ? `${fieldId('containsPersonalData')}-errors` : undefined}
            onChange=${(e: Event) => set('containsPersonalData')((e.currentTarget as HTMLInputElement).checked)}
          />
          <label for=${fieldId('containsPersonalData')}>Contains personal data</label>
          <${FieldErrors} name="containsPersonalData" errors=${errors('containsPersonalData')} />
        </div>
        <${TextField}
          name="purpose"
          label="Purpose of the transfer"
          value=${draft.purpose}
          onValue=${set('purpose')}
          errors=${errors('purpose')}
        />
        <fieldset
          class="group"
          aria-describedby=${errors('purposes') ? `${fieldId('purposes')}-errors` : undefined}
        >
          <legend>May be used for (none: the defaults of its type)</legend>
          ${PURPOSES.map(
            ([value, label]) =>
              view`<div class="checkbox" key=${value}>
                <input
                  type="checkbox"
                  id=${fieldId(`purposes-${value}`)}
                  name="purposes"
                  value=${value}
                  checked=${draft.purposes.includes(value)}
                  onChange=${(e: Event) => {
                    const on = (e.currentTarget as HTMLInputElement).checked;
                    setDraft((d) => ({
                      ...d,
                      purposes: on ? [...d.purposes, value] : d.purposes.filter((x) => x !== value),
                    }));
                  }}
                />
                <label for=${fieldId(`purposes-${value}`)}>${label}</label>
              </div>`,
          )}
          <${FieldErrors} name="purposes" errors=${errors('purposes')} />
        </fieldset>
        <${TextField}
          name="expiresAt"
          label="Expires (optional)"
          type="datetime-local"
          value=${draft.expiresAt}
          onValue=${set('expiresAt')}
          errors=${errors('expiresAt')}
        />
      </fieldset>

      <fieldset>
        <legend>The route</legend>
        <${FieldErrors} name="routeReport.segments" errors=${errors('routeReport.segments')} />
        ${draft.segments.map(
          (s, i) =>
            view`<fieldset class="group segment" key=${i}>
              <legend>Leg ${i + 1}</legend>
              ${(
                [
                  ['fromCountry', 'From country (ISO code)'],
                  ['fromPlace', 'From place'],
                  ['toCountry', 'To country (ISO code)'],
                  ['toPlace', 'To place'],
                ] as const
              ).map(
                ([key, label]) =>
                  view`<${TextField}
                    key=${key}
                    name=${`routeReport.segments[${i}].${key}`}
                    label=${label}
                    value=${s[key]}
                    onValue=${setSegment(i, key)}
                    errors=${errors(`routeReport.segments[${i}].${key}`)}
                  />`,
              )}
              <${SelectField}
                name=${`routeReport.segments[${i}].mode`}
                label="Transport"
                blank="— choose —"
                value=${s.mode}
                choices=${TRANSPORT_MODES}
                onValue=${setSegment(i, 'mode')}
                errors=${errors(`routeReport.segments[${i}].mode`)}
              />
              <${TextField}
                name=${`routeReport.segments[${i}].conveyance`}
                label="Conveyance"
                hint="What carried the people, for example rubber dinghy."
                value=${s.conveyance}
                onValue=${setSegment(i, 'conveyance')}
                errors=${errors(`routeReport.segments[${i}].conveyance`)}
              />
              ${
                draft.segments.length > 1
                  ? view`<button
                      type="button"
                      class="secondary"
                      onClick=${() => setDraft((d) => ({ ...d, segments: d.segments.filter((_, j) => j !== i) }))}
                    >
                      Remove leg ${i + 1}
                    </button>`
                  : null
              }
            </fieldset>`,
        )}
        <button
          type="button"
          class="secondary"
          onClick=${() => setDraft((d) => ({ ...d, segments: [...d.segments, emptySegment()] }))}
        >
          Add a leg
        </button>
        <${TextField}
          name="routeReport.departureArea"
          label="Departure area"
          value=${draft.departureArea}
          onValue=${set('departureArea')}
          errors=${errors('routeReport.departureArea')}
        />
        <${TextField}
          name="routeReport.departureCountry"
          label="Departure country (ISO code)"
          value=${draft.departureCountry}
          onValue=${set('departureCountry')}
          errors=${errors('routeReport.departureCountry')}
        />
        <fieldset class="group">
          <legend>Observed in use</legend>
          <${FieldErrors} name="routeReport.period" errors=${errors('routeReport.period')} />
          <${TextField}
            name="routeReport.period.start"
            label="From"
            type="datetime-local"
            value=${draft.periodStart}
            onValue=${set('periodStart')}
            errors=${errors('routeReport.period.start')}
          />
          <${TextField}
            name="routeReport.period.end"
            label="Until"
            type="datetime-local"
            value=${draft.periodEnd}
            onValue=${set('periodEnd')}
            errors=${errors('routeReport.period.end')}
          />
        </fieldset>
        <${TextField}
          name="routeReport.peopleCarried"
          label="People carried"
          hint="Per crossing or per vehicle, as observed."
          value=${draft.peopleCarried}
          onValue=${set('peopleCarried')}
          errors=${errors('routeReport.peopleCarried')}
        />
        <fieldset class="group">
          <legend>Price per person</legend>
          <${FieldErrors} name="routeReport.pricePerPerson" errors=${errors('routeReport.pricePerPerson')} />
          <${TextField}
            name="routeReport.pricePerPerson.amount"
            label="Amount"
            hint="A decimal number, for example 3000.00."
            value=${draft.priceAmount}
            onValue=${set('priceAmount')}
            errors=${errors('routeReport.pricePerPerson.amount')}
          />
          <${TextField}
            name="routeReport.pricePerPerson.currency"
            label="Currency (ISO 4217)"
            value=${draft.priceCurrency}
            onValue=${set('priceCurrency')}
            errors=${errors('routeReport.pricePerPerson.currency')}
          />
        </fieldset>
        <${TextField}
          name="routeReport.nationalities"
          label="Nationalities of the people carried (ISO codes)"
          value=${draft.nationalities}
          onValue=${set('nationalities')}
          errors=${errors('routeReport.nationalities')}
        />
        <${TextArea}
          name="routeReport.narrative"
          label="Narrative (no names of migrants)"
          value=${draft.narrative}
          onValue=${set('narrative')}
          errors=${errors('routeReport.narrative')}
        />
      </fieldset>

      <div class="actions">
        <button
          type="button"
          class="secondary"
          disabled=${busy !== null}
          onClick=${() => void run('preview')}
        >
          Preview
        </button>
        <button type="submit" disabled=${busy !== null}>Submit</button>
        <span role="status" class="busy">${busyText(busy)}</span>
      </div>
    </form>
    <${PreviewTable} preview=${preview} />
    <div role="status">
      ${
        submitted
          ? view`<p class="done">
              Submitted: <code>${submitted.id}</code> (${submitted.status}). The receipt will arrive in your
              inbox.${' '}<a href=${`#message/${submitted.id}`}>Open it</a>
            </p>`
          : null
      }
    </div>
  </section>`;
}

const busyText = (busy: 'preview' | 'submit' | null): string =>
  busy === 'preview' ? 'Asking who would receive it…' : busy === 'submit' ? 'Submitting…' : '';

const problemTitle = (problem: Problem | null): string =>
  problem?.code === 'CONTRACT.INVALID' ? 'The report is not valid' : 'The gateway refused this';

/** Who would receive the item, and who not under which rule. */
function PreviewTable(p: { preview: PreviewResult | null }): VNode | null {
  if (!p.preview) return null;
  const { recipients, refusal } = p.preview;
  const delivered = recipients.filter((r) => r.outcome === 'delivered').length;
  return view`<section class="preview" aria-labelledby="preview-title">
    <h3 id="preview-title">Preview: who would receive it</h3>
    ${
      refusal
        ? view`<p class="problem" role="alert">
            The exchange would refuse it as a whole under <code>${refusal.rule}</code>: ${refusal.reason}
          </p>`
        : null
    }
    <p>${delivered} part${delivered === 1 ? 'y' : 'ies'} would receive it; ${recipients.length - delivered} would not.</p>
    <${ScrollTable} label="Preview of the recipients">
      <table>
        <caption class="visually-hidden">
          Each candidate recipient, the outcome and the rule that decided it
        </caption>
        <thead>
          <tr>
            <th scope="col">Party</th>
            <th scope="col">Outcome</th>
            <th scope="col">Rule</th>
            <th scope="col">Why</th>
          </tr>
        </thead>
        <tbody>
          ${recipients.map(
            (r) =>
              view`<tr key=${r.party} class=${r.outcome}>
                <th scope="row">${r.party}</th>
                <td><span class=${`badge ${r.outcome}`}>${r.outcome}</span></td>
                <td><code>${r.rule}</code></td>
                <td>${r.reason}</td>
              </tr>`,
          )}
        </tbody>
      </table>
    <//>
  </section>`;
}

/** Submits; when the exchange cannot take it now (503), sends the very same envelope again a few times. */
async function submitWithRetry(api: Api, envelope: unknown): Promise<SubmitResult> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await api.submit(envelope);
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 503 || attempt >= RETRIES) throw err;
      await new Promise((r) => setTimeout(r, RETRY_DELAY_MS));
    }
  }
}
