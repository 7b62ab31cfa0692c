import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startNatsCluster, type TestNatsCluster } from '#testing';
import { connectBus, type Bus } from './connection.js';
import { auditStream, declareTopology, ensureStream, submitStream } from './topology.js';

/**
 * On a cluster of three, the exchange's streams keep as many copies as they were given: a service started
 * with a smaller MSX_STREAM_REPLICAS (the default is 1) lowers nothing and says so, where it used to bring
 * every stream it declares down to one copy.
 */
describe('stream replicas on a three-server cluster', () => {
  let cluster: TestNatsCluster;
  let bus: Bus;

  beforeAll(async () => {
    cluster = await startNatsCluster(3);
    bus = await connectBus({ servers: cluster.url, name: 'replicas-test', connectTimeoutMs: 10_000 });
  }, 60_000);

  afterAll(async () => {
    await bus?.close();
    await cluster?.dispose();
  });

  const replicasOf = async (name: string) => {
    const info = await bus.jsm.streams.info(name);
    return { declared: info.config.num_replicas, copies: 1 + (info.cluster?.replicas?.length ?? 0) };
  };

  it('creates a stream with three copies, one on each server', async () => {
    expect(await ensureStream(bus.jsm, submitStream(), 3)).toBe(3);
    expect(await replicasOf(submitStream().name)).toEqual({ declared: 3, copies: 3 });
  });

  it('keeps the three copies when a service declares one, and tells the operator', async () => {
    expect(await ensureStream(bus.jsm, submitStream(), 1)).toBe(3);
    expect(await replicasOf(submitStream().name)).toEqual({ declared: 3, copies: 3 });
    const notices = await declareTopology(bus.jsm, { streams: [submitStream()], consumers: [] }, 1);
    expect(notices).toEqual([expect.stringContaining(`stream ${submitStream().name} keeps its 3 replicas`)]);
    expect(notices[0]).toContain('MSX_STREAM_REPLICAS');
  });

  it('raises a stream made with one copy when three are declared', async () => {
    expect(await ensureStream(bus.jsm, auditStream(), 1)).toBe(1);
    expect(await replicasOf(auditStream().name)).toEqual({ declared: 1, copies: 1 });
    expect(await declareTopology(bus.jsm, { streams: [auditStream()], consumers: [] }, 3)).toEqual([]);
    expect((await replicasOf(auditStream().name)).declared).toBe(3);
  });
});
