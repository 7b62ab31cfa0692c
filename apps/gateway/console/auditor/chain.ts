/** Whether the audit trail's hash chain verifies, and its last signed checkpoint with the witnesses that keep it. */
import { view } from '../view.js';
import { useState } from 'preact/hooks';
import type { VNode } from 'preact';
import type { Api, ChainStatus, Problem } from '../api.js';
import { ProblemNotice, ScrollTable, Time, problemOfError } from '../ui.js';

const STATUS_TEXT: Record<ChainStatus['status'], string> = {
  intact: 'Intact: every row verifies against the one before it',
  broken: 'Broken: a row does not verify',
  unverified: 'Not verified yet',
};

export function Chain(p: { api: Api; justification: () => string | undefined }): VNode {
  const [chain, setChain] = useState<ChainStatus | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);

  const check = async () => {
    const justification = p.justification();
    if (justification === undefined) return;
    setBusy(true);
    setProblem(null);
    try {
      setChain(await p.api.chain(justification));
    } catch (err) {
      setChain(null);
      setProblem(problemOfError(err));
    } finally {
      setBusy(false);
    }
  };

  const cp = chain?.lastCheckpoint;
  return view`<section aria-labelledby="chain-title">
    <h2 id="chain-title">The chain of the audit trail</h2>
    <button type="button" disabled=${busy} onClick=${() => void check()}>Check the chain</button>
    <${ProblemNotice} problem=${problem} />
    ${
      chain
        ? view`<div class="chain" role="status">
            <p class=${`chain-status ${chain.status}`}><strong>${STATUS_TEXT[chain.status]}</strong></p>
            <dl class="facts">
              <dt>Checked</dt>
              <dd><${Time} at=${chain.checkedAt} /></dd>
              <dt>Rows</dt>
              <dd>${chain.rows}</dd>
              <dt>Verified through</dt>
              <dd>
                ${
                  chain.verifiedThrough
                    ? view`row ${chain.verifiedThrough.seq}, recorded <${Time} at=${chain.verifiedThrough.recordedAt} />`
                    : 'nothing yet'
                }
              </dd>
              ${
                chain.firstBreak
                  ? view`<dt>First break</dt>
                      <dd>row ${chain.firstBreak.seq}: ${chain.firstBreak.reason}</dd>`
                  : null
              }
            </dl>
          </div>`
        : null
    }
    ${
      chain
        ? cp
          ? view`<section aria-labelledby="checkpoint-title">
              <h3 id="checkpoint-title">Last checkpoint</h3>
              <dl class="facts">
                <dt>At row</dt>
                <dd>${cp.seq}</dd>
                <dt>Signed</dt>
                <dd><${Time} at=${cp.signedAt} /></dd>
                <dt>Row hash</dt>
                <dd><code class="hash">${cp.rowHash}</code></dd>
              </dl>
              ${
                cp.witnesses.length === 0
                  ? view`<p>No witness has confirmed it yet.</p>`
                  : view`<${ScrollTable} label="Witnesses">
                      <table>
                        <caption>
                          Witnesses that keep this checkpoint
                        </caption>
                        <thead>
                          <tr>
                            <th scope="col">Witness</th>
                            <th scope="col">Confirmed</th>
                          </tr>
                        </thead>
                        <tbody>
                          ${cp.witnesses.map(
                            (w) =>
                              view`<tr key=${w.node}>
                                <td>${w.node}</td>
                                <td><${Time} at=${w.confirmedAt} /></td>
                              </tr>`,
                          )}
                        </tbody>
                      </table>
                    <//>`
              }
            </section>`
          : view`<p>No checkpoint has been signed yet.</p>`
        : null
    }
  </section>`;
}
