import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '#config';
import { testDirectory } from '#testing';
import { blindIndexOf } from '../run-node-app.js';

/** Who takes part in blind hit/no-hit, from the configuration: never the matching service with a key. */
describe('the blind index settings of a node', () => {
  const directory = testDirectory();
  const dir = mkdtempSync(join(tmpdir(), 'msx-blind-config-'));
  const keyFile = join(dir, 'match.key');
  writeFileSync(keyFile, '07'.repeat(32));
  const config = (over: Record<string, string> = {}) => ({
    MSX_NODE_ID: 'cp-it',
    MSX_MATCH_KEY_FILE: keyFile,
    MSX_MATCHING_SERVICE: 'hit-no-hit',
    ...over,
  });
  const problem = (c: ReturnType<typeof config>) => {
    try {
      blindIndexOf(c, directory);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as Error).message;
    }
    return 'no problem';
  };

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gives a node with the key its part, and a node without it none', () => {
    expect(blindIndexOf(config(), directory)).toMatchObject({
      matcher: 'hit-no-hit',
      key: { id: 'mk-bd47d91f9d303969' },
    });
    expect(blindIndexOf(config({ MSX_MATCH_KEY_FILE: '' }), directory)).toBeUndefined();
  });

  it('refuses to give the matching service the key', () => {
    expect(problem(config({ MSX_NODE_ID: 'hit-no-hit' }))).toContain(
      'MSX_MATCH_KEY_FILE: hit-no-hit is a matching service, which must never hold the matching key',
    );
    expect(
      blindIndexOf(config({ MSX_NODE_ID: 'hit-no-hit', MSX_MATCH_KEY_FILE: '' }), directory),
    ).toBeUndefined();
  });

  it('refuses to give a third country the key', () => {
    expect(problem(config({ MSX_NODE_ID: 'afic-partner-sn' }))).toContain(
      "MSX_MATCH_KEY_FILE: afic-partner-sn is a third country's node: the matching key is for the parties of the EU",
    );
  });

  it('names the setting that is wrong', () => {
    expect(problem(config({ MSX_MATCHING_SERVICE: 'jot-mare' }))).toContain(
      'MSX_MATCHING_SERVICE: jot-mare is not a party of kind matching-service in the directory',
    );
    expect(problem(config({ MSX_MATCH_KEY_FILE: join(dir, 'absent.key') }))).toContain(
      'MSX_MATCH_KEY_FILE: ',
    );
  });
});
