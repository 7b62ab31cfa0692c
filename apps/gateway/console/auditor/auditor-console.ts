/** The auditor's screens; every query carries the justification typed once at the top. */
import { view } from '../view.js';
import { useState } from 'preact/hooks';
import type { VNode } from 'preact';
import type { Api, Violation } from '../api.js';
import { fieldId, TextField } from '../ui.js';
import { Activity } from './activity.js';
import { Chain } from './chain.js';
import { Flows } from './flows.js';
import { Trail } from './trail.js';

export const AUDITOR_VIEWS = [
  ['trail', 'Trail of a message'],
  ['flows', 'Flows'],
  ['activity', "An officer's activity"],
  ['chain', 'Chain'],
] as const;
export type AuditorView = (typeof AUDITOR_VIEWS)[number][0];

const MISSING: Violation[] = [
  {
    field: 'justification',
    rule: 'required',
    message: 'Give the reason for this consultation; it is recorded with it.',
  },
];

export function AuditorConsole(p: { api: Api; view: AuditorView }): VNode {
  const [justification, setJustification] = useState('');
  const [missing, setMissing] = useState(false);
  /** The justification to send, or undefined (and the field marked) when there is none. */
  const justify = (): string | undefined => {
    const text = justification.trim();
    setMissing(text === '');
    if (text === '') {
      document.getElementById(fieldId('justification'))?.focus();
      return undefined;
    }
    return text;
  };
  const views: Record<AuditorView, () => VNode> = {
    trail: () => view`<${Trail} api=${p.api} justification=${justify} />`,
    flows: () => view`<${Flows} api=${p.api} justification=${justify} />`,
    activity: () => view`<${Activity} api=${p.api} justification=${justify} />`,
    chain: () => view`<${Chain} api=${p.api} justification=${justify} />`,
  };
  return view`<div class="auditor">
    <div class="justification">
      <${TextField}
        name="justification"
        label="Justification"
        hint="Why you consult the trail, for example: DPO review of case 2026/17. Recorded with every query."
        value=${justification}
        onValue=${(v: string) => {
          setJustification(v);
          if (v.trim() !== '') setMissing(false);
        }}
        errors=${missing ? MISSING : undefined}
        required
      />
    </div>
    ${views[p.view]()}
  </div>`;
}
