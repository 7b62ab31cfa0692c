/** Open a message by its id: one the officer's node sent or received; any other is "not found". */
import { view } from '../view.js';
import { useEffect, useState } from 'preact/hooks';
import type { VNode } from 'preact';
import { ApiError, type Api, type MessageView, type Problem, type Whoami } from '../api.js';
import { ProblemNotice, TextField, problemOfError } from '../ui.js';
import { InboxItem } from './inbox-item.js';
import { title } from './items.js';
import { MessageActions } from './message-actions.js';

export function OpenMessage(p: { api: Api; me: Whoami; initialId: string }): VNode {
  const [id, setId] = useState(p.initialId);
  const [message, setMessage] = useState<MessageView | null>(null);
  const [notFound, setNotFound] = useState<string | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);

  const open = async (which: string) => {
    if (which.trim() === '') return;
    setBusy(true);
    setMessage(null);
    setNotFound(null);
    setProblem(null);
    try {
      setMessage(await p.api.message(which.trim()));
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) setNotFound(which.trim());
      else setProblem(problemOfError(err));
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => {
    setId(p.initialId);
    if (p.initialId !== '') void open(p.initialId);
    // Opened again whenever the address names another message.
  }, [p.initialId]);

  return view`<section aria-labelledby="open-title">
    <h2 id="open-title">Open a message</h2>
    <form
      class="search"
      onSubmit=${(e: Event) => {
        e.preventDefault();
        void open(id);
      }}
    >
      <${TextField} name="messageId" label="Message id" value=${id} onValue=${setId} required />
      <button type="submit" disabled=${busy}>Open</button>
    </form>
    <div role="status">
      ${
        notFound !== null
          ? view`<p class="not-found">
              Not found: no message <code>${notFound}</code> that ${p.me.node} sent or received.
            </p>`
          : null
      }
    </div>
    <${ProblemNotice} problem=${problem} />
    ${
      message
        ? view`<article class="message" aria-labelledby="message-title">
            <h3 id="message-title">${title(message.type)} from ${message.sender}</h3>
            <dl class="facts">
              <dt>Message</dt>
              <dd><code>${message.id}</code></dd>
              <dt>Your node is its</dt>
              <dd>${message.role}</dd>
              <dt>Recalled</dt>
              <dd>${message.recalled ? 'yes' : 'no'}</dd>
            </dl>
            ${
              message.item
                ? view`<${InboxItem} api=${p.api} me=${p.me} entry=${message.item} scope="opened" />`
                : view`<${MessageActions}
                    api=${p.api}
                    messageId=${message.id}
                    as=${message.role}
                    scope="opened"
                  />`
            }
          </article>`
        : null
    }
  </section>`;
}
