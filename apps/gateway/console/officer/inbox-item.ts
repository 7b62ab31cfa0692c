/** One item of the inbox (or the item of an opened message), with what the officer may do with it. */
import { view } from '../view.js';
import type { VNode } from 'preact';
import type { Api, InboxEntry, Whoami } from '../api.js';
import { Time } from '../ui.js';
import { receiptDecisions, routeSummary, shortEnum, showItem, title } from './items.js';
import { MessageActions } from './message-actions.js';

export function InboxItem(p: { api: Api; me: Whoami; entry: InboxEntry; scope: string }): VNode {
  const item = showItem(p.entry, p.me);
  const titleId = `${p.scope}-title`;
  const e = item.envelope;
  if (!e)
    return view`<article class="item refused" aria-labelledby=${titleId}>
      <h3 id=${titleId}>Item ${item.seq}: not vouched for by the router</h3>
      <p>Its contents are not shown. Delivered <${Time} at=${item.deliveredAt} />.</p>
    </article>`;
  const receipt = item.type === 'deliveryReceipt' ? receiptDecisions(e) : undefined;
  const route = routeSummary(e);
  return view`<article class="item" aria-labelledby=${titleId} data-message-id=${e.id}>
    <h3 id=${titleId}>
      ${receipt ? 'Receipt for your message' : `${title(item.type)} from ${e.sender ?? '?'}`}
    </h3>
    <dl class="facts">
      <dt>Message</dt>
      <dd><code>${receipt ? item.target : e.id}</code></dd>
      <dt>Delivered</dt>
      <dd><${Time} at=${item.deliveredAt} /></dd>
      ${
        e.author
          ? view`<dt>Author</dt>
              <dd>${e.author}</dd>`
          : null
      }
      ${
        e.tlp
          ? view`<dt>TLP</dt>
              <dd>${shortEnum(e.tlp, 'TLP_')}</dd>`
          : null
      }
      ${
        e.handlingCode
          ? view`<dt>Handling</dt>
              <dd>${shortEnum(e.handlingCode, 'HANDLING_CODE_')}</dd>`
          : null
      }
      ${
        route
          ? view`<dt>Route</dt>
              <dd>${route}</dd>`
          : null
      }
    </dl>
    ${
      receipt
        ? view`<div class="receipt">
            ${receipt.refused ? view`<p class="withheld">Refused as a whole: ${receipt.refused}</p>` : null}
            <p>Delivered to ${receipt.delivered.length > 0 ? receipt.delivered.join(', ') : 'no one'}.</p>
            ${
              receipt.withheld.length > 0
                ? view`<p>Withheld from:</p>
                    <ul>
                      ${receipt.withheld.map(
                        (d) => view`<li key=${d.recipient}>${d.recipient}: <code>${d.rule}</code></li>`,
                      )}
                    </ul>`
                : null
            }
          </div>`
        : null
    }
    ${
      item.actions !== 'none' && item.target
        ? view`<${MessageActions}
            api=${p.api}
            messageId=${item.target}
            as=${item.actions}
            scope=${p.scope}
          />`
        : null
    }
  </article>`;
}
