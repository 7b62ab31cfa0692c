/**
 * `npm run demo`: sends real-looking traffic through the gateway of a running exchange (`npm start`) and
 * ends with a summary read from the audit trail. Finds the exchange through `.msx/runtime.json`, written by
 * `npm start`; without it, through MSX_GATEWAY_HOST/PORT, MSX_DATABASE_URL and MSX_DATABASE_SCHEMA.
 * Exits non-zero when an item was refused or not recorded.
 */
import { databaseSpec, int, loadConfig, str } from '#config';
import { runDemo, type DemoTarget } from './demo/run-demo.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { MATCH_KEY_FILE_NAME } from '#node-app';
import { readGatewayTokens, readRuntimeInfo, STATE_DIR, TOKENS_FILE } from './exchange/local-state.js';
import { reachable } from '#process-kit';

/** The matching key `npm start` made, when there is one: the demo then ends with a blind query. */
function matchKeyFile(): string | undefined {
  const file = join(STATE_DIR, 'keys', MATCH_KEY_FILE_NAME);
  return existsSync(file) ? file : undefined;
}

async function target(): Promise<DemoTarget> {
  const tokens = readGatewayTokens();
  if (!tokens) throw new Error(`no gateway tokens in ${TOKENS_FILE}: start MSX first (npm start)`);
  const running = readRuntimeInfo();
  if (running) {
    return {
      gatewayUrl: running.gatewayUrl,
      tokens,
      databaseUrl: running.databaseUrl,
      databaseSchema: running.databaseSchema,
      matchKeyFile: matchKeyFile(),
    };
  }
  const config = loadConfig({
    ...databaseSpec,
    MSX_GATEWAY_HOST: str('127.0.0.1'),
    MSX_GATEWAY_PORT: int(8080, 1, 65_535),
  });
  return {
    gatewayUrl: `http://${config.MSX_GATEWAY_HOST}:${config.MSX_GATEWAY_PORT}`,
    tokens,
    databaseUrl: config.MSX_DATABASE_URL,
    databaseSchema: config.MSX_DATABASE_SCHEMA,
    matchKeyFile: matchKeyFile(),
  };
}

async function main(): Promise<void> {
  const t = await target();
  if (!(await reachable(t.gatewayUrl, 1_000)))
    throw new Error(`the gateway does not answer at ${t.gatewayUrl}: start MSX first (npm start)`);
  const ok = await runDemo(t, (line) => process.stdout.write(`${line}\n`));
  process.exit(ok ? 0 : 1);
}

main().catch((err: unknown) => {
  process.stderr.write(`demo: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
