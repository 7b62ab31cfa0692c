import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConsoleAssets, consoleDir } from './console-assets.js';

describe('consoleDir', () => {
  it('finds dist/console of the checkout from the build and from the source alike', () => {
    expect(consoleDir('file:///srv/msx/dist/apps/gateway/src/console/console.controller.js')).toBe(
      '/srv/msx/dist/console',
    );
    expect(consoleDir('file:///srv/msx/apps/gateway/src/console/console.controller.ts')).toBe(
      '/srv/msx/dist/console',
    );
  });
});

describe('ConsoleAssets', () => {
  it('serves the three files of the build by name, and nothing else of the folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'msx-console-assets-'));
    try {
      for (const f of ['index.html', 'app.js', 'app.css', 'secret.txt']) writeFileSync(join(dir, f), f);
      const assets = new ConsoleAssets(dir);
      expect((await assets.get(''))?.type).toBe('text/html; charset=utf-8');
      expect((await assets.get('app.js'))?.body.toString()).toBe('app.js');
      for (const name of ['index.html', 'secret.txt', '../app.js', 'constructor', 'toString'])
        expect(await assets.get(name)).toBeUndefined();
      rmSync(join(dir, 'app.css'));
      expect(await assets.get('app.css')).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
