/** The trail of a message as a picture: parties as boxes, and what went between them as labelled arrows. */
import { view } from '../view.js';
import type { VNode } from 'preact';
import type { TrailEdge, TrailGraph, TrailParty } from '../trail-graph.js';

/** Geometry of the picture, in SVG user units (pixels at 100 %). */
const BOX_W = 160;
const BOX_H = 30;
const COLUMN_GAP = 300;
const ROW_H = 46;
const MARGIN = 16;

const x = (p: TrailParty) => MARGIN + p.column * (BOX_W + COLUMN_GAP);
const y = (p: TrailParty) => MARGIN + p.row * ROW_H;

export function TrailPicture(p: { messageId: string; graph: TrailGraph }): VNode {
  const { graph } = p;
  const at = new Map(graph.parties.map((party) => [party.id, party]));
  const columns = Math.max(1, ...graph.parties.map((q) => q.column + 1));
  const rows = Math.max(1, ...graph.parties.map((q) => q.row + 1));
  const width = 2 * MARGIN + columns * BOX_W + (columns - 1) * COLUMN_GAP;
  const bendsBelow = graph.edges.some((e) => (at.get(e.to)?.column ?? 1) <= (at.get(e.from)?.column ?? 0));
  const height = 2 * MARGIN + (rows - 1) * ROW_H + BOX_H + (bendsBelow ? 56 : 0);
  const shared = graph.edges.filter((e) => e.kind === 'shared').length;
  const withheld = graph.edges.filter((e) => e.kind === 'withheld').length;
  const description =
    `${graph.originator ?? 'An unknown party'} sent it. ` +
    `${shared} arrow${shared === 1 ? '' : 's'} of what was shared, received or read; ` +
    `withheld from ${withheld} part${withheld === 1 ? 'y' : 'ies'}. The table below lists every row.`;
  return view`<figure class="trail-picture">
    <div class="picture-scroll" role="region" aria-label="Picture of the trail" tabindex="0">
      <svg
        xmlns="http://www.w3.org/2000/svg"
        width=${width}
        height=${height}
        viewBox=${`0 0 ${width} ${height}`}
        role="img"
        aria-labelledby="trail-svg-title trail-svg-desc"
      >
        <title id="trail-svg-title">Who shared message ${p.messageId} with whom</title>
        <desc id="trail-svg-desc">${description}</desc>
        <defs>
          <marker
            id="arrow-shared"
            viewBox="0 0 10 10"
            refX="10"
            refY="5"
            markerWidth="7"
            markerHeight="7"
            orient="auto-start-reverse"
          >
            <path d="M 0 0 L 10 5 L 0 10 z" class="arrow shared" />
          </marker>
          <marker
            id="arrow-withheld"
            viewBox="0 0 10 10"
            refX="10"
            refY="5"
            markerWidth="7"
            markerHeight="7"
            orient="auto-start-reverse"
          >
            <path d="M 0 0 L 10 5 L 0 10 z" class="arrow withheld" />
          </marker>
        </defs>
        ${graph.edges.map((e) => {
          const from = at.get(e.from);
          const to = at.get(e.to);
          return from && to
            ? view`<${Edge} key=${`${e.from}>${e.to}`} edge=${e} from=${from} to=${to} />`
            : null;
        })}
        ${graph.parties.map(
          (party) =>
            view`<g key=${party.id} class=${`party ${party.kind}`} data-party=${party.id}>
              <rect x=${x(party)} y=${y(party)} width=${BOX_W} height=${BOX_H} rx="4" />
              <text x=${x(party) + BOX_W / 2} y=${y(party) + BOX_H / 2 + 5} text-anchor="middle">${party.id}</text>
            </g>`,
        )}
      </svg>
    </div>
    <figcaption>
      Solid arrows: shared, received, read. Dashed: withheld, with the rule that withheld it.
      ${
        graph.notDrawn > 0
          ? ` ${graph.notDrawn} row${graph.notDrawn === 1 ? '' : 's'} (auditors' reads, refusals, submissions of other messages) only in the table.`
          : ''
      }
    </figcaption>
  </figure>`;
}

/** An arrow from one box to another; its label sits along it, just before the box it points at. */
function Edge(p: { edge: TrailEdge; from: TrailParty; to: TrailParty }): VNode {
  const forward = p.to.column > p.from.column;
  const x1 = forward ? x(p.from) + BOX_W : x(p.from) + BOX_W / 2;
  const y1 = forward ? y(p.from) + BOX_H / 2 : y(p.from) + BOX_H;
  const x2 = forward ? x(p.to) - 2 : x(p.to) + BOX_W / 2 + 12;
  const y2 = forward ? y(p.to) + BOX_H / 2 : y(p.to) + BOX_H + 2;
  // An arrow back (an acknowledgement to the originator) or within a column bends below the boxes.
  const d = forward
    ? `M ${x1} ${y1} L ${x2} ${y2}`
    : `M ${x1} ${y1} C ${x1} ${y1 + 40}, ${x2} ${y2 + 40}, ${x2} ${y2}`;
  const label = p.edge.labels.join(' · ');
  return view`<g class=${`edge ${p.edge.kind}`} data-from=${p.edge.from} data-to=${p.edge.to}>
    <title>${p.edge.from} → ${p.edge.to}: ${label}</title>
    <path d=${d} marker-end=${`url(#arrow-${p.edge.kind})`} />
    <text
      x=${forward ? x2 - 10 : (x1 + x2) / 2}
      y=${forward ? y2 - 6 : Math.max(y1, y2) + 34}
      text-anchor=${forward ? 'end' : 'middle'}
      class="edge-label"
    >
      ${label}
    </text>
  </g>`;
}
