/** The officer's screens: a report, the inbox (followed live whichever screen is shown), one message. */
import { view } from '../view.js';
import type { VNode } from 'preact';
import type { Api, Whoami } from '../api.js';
import { Inbox, useLiveInbox } from './inbox.js';
import { OpenMessage } from './open-message.js';
import { ReportForm } from './report-form.js';

export const OFFICER_VIEWS = [
  ['report', 'New report'],
  ['inbox', 'Inbox'],
  ['message', 'Open a message'],
] as const;
export type OfficerView = (typeof OFFICER_VIEWS)[number][0];

export function OfficerConsole(p: { api: Api; me: Whoami; view: OfficerView; arg: string }): VNode {
  const live = useLiveInbox(p.api);
  switch (p.view) {
    case 'report':
      return view`<${ReportForm} api=${p.api} />`;
    case 'inbox':
      return view`<${Inbox} api=${p.api} me=${p.me} live=${live} />`;
    case 'message':
      return view`<${OpenMessage} api=${p.api} me=${p.me} initialId=${p.arg} />`;
  }
}
