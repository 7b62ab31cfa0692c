/**
 * Equivalent mutants: survivors of `npm run test:mutation` that change no behaviour, listed with the reason in
 * `test/mutation-equivalents.json` and left out of a module's score.
 */
import { readFileSync } from 'node:fs';

/** A mutant no test killed, where Stryker found it. */
export interface Survivor {
  file: string;
  line: number;
  column: number;
  /** Last line of the mutated code (a block or a switch case spans several). */
  endLine: number;
  /** Where the mutated code ends on its last line (absent in reports written before it was recorded). */
  endColumn?: number;
  mutator: string;
  replacement?: string;
  status: string;
}

/** An entry of the list of equivalent mutants. */
export interface Equivalent {
  file: string;
  /** The line where the mutant was found; `code` finds it again after lines above it moved. */
  line: number;
  /** The line's text, trimmed: when given, the mutant is matched on the line that holds this text. */
  code?: string;
  mutator: string;
  /** When the line holds several mutants of this mutator: the column, or the replacement, of this one. */
  column?: number;
  replacement?: string;
  /** Why the mutant changes no behaviour. */
  why: string;
}

/** The trimmed text of each line of a file, read once (none for a file that is gone). */
const fileLines = new Map<string, string[]>();
export function linesOf(file: string): string[] {
  let lines = fileLines.get(file);
  if (lines === undefined) {
    try {
      lines = readFileSync(file, 'utf8')
        .split('\n')
        .map((l) => l.trim());
    } catch {
      lines = [];
    }
    fileLines.set(file, lines);
  }
  return lines;
}

/**
 * Whether an equivalent entry is at the survivor's line: by its text when the entry records it (the same
 * text on several lines of the file then also needs the line number), else by the line number.
 */
function atLine(s: Survivor, e: Equivalent): boolean {
  if (e.code === undefined) return s.line === e.line;
  const lines = linesOf(s.file);
  if (lines[s.line - 1] !== e.code) return false;
  return lines.filter((l) => l === e.code).length === 1 || s.line === e.line;
}

export function isEquivalentSurvivor(s: Survivor, known: Equivalent[]): boolean {
  return known.some(
    (e) =>
      s.file === e.file &&
      atLine(s, e) &&
      s.mutator === e.mutator &&
      (e.column === undefined || s.column === e.column) &&
      (e.replacement === undefined || s.replacement === e.replacement),
  );
}
