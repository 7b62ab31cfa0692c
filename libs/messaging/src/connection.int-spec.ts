import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { natsSpec, loadConfig } from '#config';
import { freePort, startNatsServer, type TestNatsServer } from '#testing';
import { connectBus } from './connection.js';

/**
 * MSX_NATS_URL names a NATS cluster as its servers, comma separated: a service connects through whichever
 * of them answers, so one server down at start does not keep it from starting.
 */
describe('connecting to a cluster named by its servers', () => {
  let nats: TestNatsServer;

  beforeAll(async () => {
    nats = await startNatsServer();
  });

  afterAll(async () => {
    await nats?.dispose();
  });

  it('connects through the server that answers when another in the list does not', async () => {
    const down = `nats://127.0.0.1:${await freePort()}`;
    const config = loadConfig(natsSpec, { MSX_NATS_URL: `${down}, ${nats.url}` });
    expect(config.MSX_NATS_URL).toBe(`${down},${nats.url}`);
    const bus = await connectBus({
      servers: config.MSX_NATS_URL,
      name: 'cluster-list-test',
      connectTimeoutMs: 10_000,
    });
    try {
      expect(bus.nc.getServer()).toBe(new URL(nats.url).host);
      expect((await bus.jsm.getAccountInfo()).limits).toBeDefined();
    } finally {
      await bus.close();
    }
  });
});
