import type { AuditRecord } from './api.js';

/** What a party is to the message, which decides how the picture draws it. */
export type PartyKind = 'originator' | 'recipient' | 'withheld' | 'authority';

export interface TrailParty {
  id: string;
  kind: PartyKind;
  /** Column (distance from the originator) and row, from 0. */
  column: number;
  row: number;
}

/** What went from one party to another: shared (delivered, forwarded, dispatched), withheld, read. */
export interface TrailEdge {
  from: string;
  to: string;
  /** `withheld` when the message was withheld from `to` and nothing else went there. */
  kind: 'shared' | 'withheld';
  /** What happened along it, in the trail's order: `delivered`, `received`, `read by cp-it.officer-5`, `withheld: POLICY.TLP_RED_NAMED_ONLY`. */
  labels: string[];
}

export interface TrailGraph {
  originator: string | undefined;
  parties: TrailParty[];
  edges: TrailEdge[];
  /** Rows the picture shows nothing of (auditors' consultations, rejections), counted for its caption. */
  notDrawn: number;
}

/** The rule a read through the gateway is recorded under (an auditor's read is `AUDIT.CONSULTED`). */
const INBOX_READ = 'GATEWAY.INBOX_READ';

/**
 * The picture of a message's trail: who shared it with whom, who received and read it, and whom it was
 * withheld from under which rule. Rows of other messages in the trail (an acknowledgement, a share request,
 * a recall concerning it) draw their own edges, labelled with their type.
 */
export function trailGraph(messageId: string, rows: readonly AuditRecord[]): TrailGraph {
  const id = messageId.toLowerCase();
  const originator = rows.find((r) => r.operation === 'submitted' && r.messageId === id)?.actorNode;
  const edges = new Map<string, TrailEdge & { shared: boolean }>();
  const authorities = new Set<string>();
  let notDrawn = 0;
  const along = (from: string, to: string, label: string, shared: boolean) => {
    const key = `${from}\n${to}`;
    const edge = edges.get(key) ?? { from, to, kind: 'withheld', labels: [], shared: false };
    if (!edge.labels.includes(label)) edge.labels.push(label);
    edge.shared ||= shared;
    edges.set(key, edge);
  };
  for (const r of rows) {
    const about = r.messageId === id || r.messageType === null ? '' : `${r.messageType} `;
    const counterpart = r.counterpartNode;
    switch (r.operation) {
      case 'delivered':
      case 'forwarded':
        if (counterpart) along(r.actorNode, counterpart, `${about}${r.operation}`, true);
        else notDrawn++;
        break;
      case 'withheld':
        if (counterpart)
          along(r.actorNode, counterpart, `${about}withheld: ${r.rule ?? 'no rule named'}`, false);
        else notDrawn++;
        break;
      case 'dispatched':
        if (counterpart) {
          authorities.add(counterpart);
          along(r.actorNode, counterpart, `${about}dispatched`, true);
        } else notDrawn++;
        break;
      case 'received':
        if (counterpart) along(counterpart, r.actorNode, `${about}received`, true);
        else notDrawn++;
        break;
      case 'consulted':
        if (r.rule === INBOX_READ && counterpart)
          along(counterpart, r.actorNode, `${about}read by ${r.actorPerson ?? r.actorNode}`, true);
        else notDrawn++;
        break;
      case 'erased':
        along(originator ?? r.actorNode, r.actorNode, `${about}erased`, true);
        break;
      case 'submitted':
        if (r.messageId !== id) notDrawn++;
        break;
      default:
        notDrawn++;
    }
  }
  const drawn = [...edges.values()].map(({ shared, ...e }): TrailEdge => ({
    ...e,
    kind: shared ? 'shared' : 'withheld',
  }));
  return { originator, parties: layout(originator, drawn, authorities), edges: drawn, notDrawn };
}

/** Columns by distance from the originator along the edges; in a column, shared before withheld, by name. */
function layout(
  originator: string | undefined,
  edges: readonly TrailEdge[],
  authorities: ReadonlySet<string>,
): TrailParty[] {
  const names = new Set<string>(originator ? [originator] : []);
  for (const e of edges) names.add(e.from).add(e.to);
  const column = new Map<string, number>();
  const roots = originator ? [originator] : [...names].filter((n) => !edges.some((e) => e.to === n));
  const queue = roots.length > 0 ? roots : [...names].slice(0, 1);
  for (const r of queue) column.set(r, 0);
  for (let i = 0; i < queue.length; i++) {
    for (const e of edges)
      if (e.from === queue[i] && !column.has(e.to)) {
        column.set(e.to, column.get(queue[i])! + 1);
        queue.push(e.to);
      }
  }
  for (const n of names) if (!column.has(n)) column.set(n, 1);
  const withheldOnly = (n: string) =>
    edges.some((e) => e.to === n && e.kind === 'withheld') &&
    !edges.some((e) => e.to === n && e.kind === 'shared');
  const kindOf = (n: string): PartyKind =>
    n === originator
      ? 'originator'
      : authorities.has(n)
        ? 'authority'
        : withheldOnly(n)
          ? 'withheld'
          : 'recipient';
  const rank: Record<PartyKind, number> = { originator: 0, recipient: 1, authority: 2, withheld: 3 };
  const parties = [...names]
    .map((n) => ({ id: n, kind: kindOf(n), column: column.get(n)!, row: 0 }))
    .sort((a, b) => a.column - b.column || rank[a.kind] - rank[b.kind] || a.id.localeCompare(b.id));
  const rows = new Map<number, number>();
  for (const p of parties) {
    p.row = rows.get(p.column) ?? 0;
    rows.set(p.column, p.row + 1);
  }
  return parties;
}
