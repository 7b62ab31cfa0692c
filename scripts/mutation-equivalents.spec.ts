import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isEquivalentSurvivor, linesOf, type Equivalent, type Survivor } from './mutation-equivalents.js';

/** A source file of its own, so that one test's lines never answer another's. */
function source(lines: string[]): string {
  const file = join(mkdtempSync(join(tmpdir(), 'msx-equivalents-')), 'rules.ts');
  writeFileSync(file, lines.join('\n'));
  return file;
}

const survivor = (file: string, line: number, over: Partial<Survivor> = {}): Survivor => ({
  file,
  line,
  column: 10,
  endLine: line,
  mutator: 'ConditionalExpression',
  replacement: 'true',
  status: 'Survived',
  ...over,
});

const entry = (file: string, line: number, over: Partial<Equivalent> = {}): Equivalent => ({
  file,
  line,
  mutator: 'ConditionalExpression',
  why: 'changes nothing',
  ...over,
});

describe('isEquivalentSurvivor', () => {
  it('finds an entry by the text of its line after lines were added above it', () => {
    const before = source(['const a = 1;', '  return dot > 0 && isNodeId(node);']);
    const listed = entry(before, 2, { code: 'return dot > 0 && isNodeId(node);' });
    const after = source([
      '// a comment',
      'const a = 1;',
      'const b = 2;',
      '  return dot > 0 && isNodeId(node);',
    ]);
    expect(isEquivalentSurvivor(survivor(after, 4), [{ ...listed, file: after }])).toBe(true);
    // The code that now sits at the old line number is another line: not this entry's.
    expect(isEquivalentSurvivor(survivor(after, 2), [{ ...listed, file: after }])).toBe(false);
  });

  it('needs the line number too when the same text stands on several lines', () => {
    const file = source(['return undefined;', 'x();', 'return undefined;']);
    const listed = entry(file, 3, { code: 'return undefined;' });
    expect(isEquivalentSurvivor(survivor(file, 3), [listed])).toBe(true);
    expect(isEquivalentSurvivor(survivor(file, 1), [listed])).toBe(false);
  });

  it('goes by the line number for an entry without its text', () => {
    const file = source(['a();', 'b();']);
    expect(isEquivalentSurvivor(survivor(file, 2), [entry(file, 2)])).toBe(true);
    expect(isEquivalentSurvivor(survivor(file, 1), [entry(file, 2)])).toBe(false);
  });

  it('tells mutants of one line apart by mutator, column and replacement', () => {
    const file = source(['return at > 0 && ok;']);
    const code = 'return at > 0 && ok;';
    expect(
      isEquivalentSurvivor(survivor(file, 1), [entry(file, 1, { code, mutator: 'EqualityOperator' })]),
    ).toBe(false);
    expect(isEquivalentSurvivor(survivor(file, 1), [entry(file, 1, { code, column: 11 })])).toBe(false);
    expect(isEquivalentSurvivor(survivor(file, 1), [entry(file, 1, { code, replacement: 'false' })])).toBe(
      false,
    );
    expect(
      isEquivalentSurvivor(survivor(file, 1), [entry(file, 1, { code, column: 10, replacement: 'true' })]),
    ).toBe(true);
  });
});

describe('test/mutation-equivalents.json', () => {
  const listed = JSON.parse(readFileSync('test/mutation-equivalents.json', 'utf8')) as Equivalent[];

  it('says for every entry why the mutant changes nothing, and which line it is on', () => {
    for (const e of listed) {
      expect({ file: e.file, line: e.line, why: e.why.length > 20, code: typeof e.code }).toEqual({
        file: e.file,
        line: e.line,
        why: true,
        code: 'string',
      });
    }
  });

  it('names only lines that are still in the code, so an entry never outlives the code it explains', () => {
    const stale = listed.filter((e) => !linesOf(e.file).includes(e.code!));
    expect(stale.map((e) => `${e.file}:${e.line} ${e.code}`)).toEqual([]);
  });

  it('gives the right line where its text is on several lines of the file, since only the line finds it then', () => {
    const astray = listed.filter((e) => {
      const lines = linesOf(e.file);
      return lines.filter((l) => l === e.code).length > 1 && lines[e.line - 1] !== e.code;
    });
    expect(astray.map((e) => `${e.file}:${e.line} ${e.code}`)).toEqual([]);
  });
});
