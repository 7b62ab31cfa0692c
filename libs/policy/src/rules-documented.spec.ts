import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { RECIPIENT_UNKNOWN, SHARING_RULES } from './rules.js';
import { SUBMISSION_RULES } from './submission-rules.js';

/**
 * The README's tables of the sharing rules are what officers, auditors and the parties' legal advisers
 * read: they must state each rule the exchange applies, in the order it applies them, in the words of the
 * rule itself.
 */
const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

/** The `| code | rule |` rows of the table that follows the paragraph starting with `heading`. */
function table(heading: string): { code: string; rule: string }[] {
  const from = readme.indexOf(`\n${heading}`);
  expect(from).toBeGreaterThan(0);
  const lines = readme.slice(from + 1).split('\n');
  const start = lines.findIndex((l) => l.startsWith('| code | rule |'));
  const rows: { code: string; rule: string }[] = [];
  for (const line of lines.slice(start + 2)) {
    const m = /^\| `(POLICY\.[A-Z_]+)` \| (.*) \|$/.exec(line);
    if (!m) break;
    rows.push({ code: m[1], rule: m[2] });
  }
  return rows;
}

describe('the rules as the README states them', () => {
  it('lists every rule on the submission as a whole, in order, in the words of the rule', () => {
    const rows = table('Rules on the submission as a whole');
    // Checked by the router before the policy decides: the subject a submission came on names its sender.
    expect(rows[0].code).toBe('POLICY.SENDER_NOT_PUBLISHER');
    expect(rows.slice(1)).toEqual(SUBMISSION_RULES.map((r) => ({ code: r.code, rule: r.description })));
  });

  it('lists every rule for each candidate, in order, in the words of the rule', () => {
    const rows = table('Rules for each candidate');
    expect(rows[0].code).toBe(RECIPIENT_UNKNOWN);
    expect(rows.slice(1)).toEqual(SHARING_RULES.map((r) => ({ code: r.code, rule: r.description })));
  });

  it('states each rule as a sentence', () => {
    for (const r of [...SUBMISSION_RULES, ...SHARING_RULES]) expect(r.description).toMatch(/^[A-Z].{20,}\.$/);
  });
});
