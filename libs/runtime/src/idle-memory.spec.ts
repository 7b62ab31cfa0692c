import { describe, expect, it } from '@jest/globals';
import { getHeapStatistics } from 'node:v8';
import {
  fullGarbageCollection,
  IDLE_GROWTH_BYTES,
  IDLE_UTILIZATION,
  IdleMemory,
  QUIET_CHECKS,
} from './idle-memory.js';

const MB = 1024 * 1024;

/** An IdleMemory over a heap and an event loop the test sets, past its first collection after start. */
async function scripted() {
  const state = {
    heap: 50 * MB,
    resident: 100 * MB,
    utilization: 0,
    collections: 0,
    liveAfterCollection: 50 * MB,
  };
  const idle = await started(state);
  state.collections = 0;
  return { state, idle };
}

/** A fresh IdleMemory, checked until its first collection: what starting the service left behind. */
async function started(state: {
  heap: number;
  resident?: number;
  utilization: number;
  collections: number;
  liveAfterCollection: number;
}) {
  const idle = new IdleMemory({
    collect: async () => {
      state.collections++;
      // What V8 gives back leaves the process too.
      if (state.resident !== undefined) state.resident -= state.heap - state.liveAfterCollection;
      state.heap = state.liveAfterCollection;
    },
    heapUsed: () => state.heap,
    residentBytes: () => state.resident ?? 0,
    utilization: () => state.utilization,
  });
  for (let i = 1; i < QUIET_CHECKS; i++) expect(await idle.check()).toBe('busy');
  expect(await idle.check()).toBe('collected');
  return idle;
}

describe('giving memory back when idle', () => {
  it('collects once the service is idle after its heap grew, and not again until it grows once more', async () => {
    const { state, idle } = await scripted();
    state.heap += 150 * MB;
    expect(await idle.check()).toBe('collected');
    expect(state.collections).toBe(1);
    // Idle still, nothing new: no second collection.
    expect(await idle.check()).toBe('small');
    expect(await idle.check()).toBe('small');
    state.heap += IDLE_GROWTH_BYTES;
    expect(await idle.check()).toBe('collected');
    expect(state.collections).toBe(2);
  });

  it('never collects while the service works, however large its heap', async () => {
    const { state, idle } = await scripted();
    state.heap += 500 * MB;
    state.utilization = IDLE_UTILIZATION;
    expect(await idle.check()).toBe('busy');
    state.utilization = 0.9;
    expect(await idle.check()).toBe('busy');
    expect(state.collections).toBe(0);
    // Idle again: only after QUIET_CHECKS checks in a row, so a lull in light traffic does not pause it.
    state.utilization = IDLE_UTILIZATION / 2;
    for (let i = 1; i < QUIET_CHECKS; i++) expect(await idle.check()).toBe('busy');
    expect(state.collections).toBe(0);
    expect(await idle.check()).toBe('collected');
    state.heap += 500 * MB;
    state.utilization = 0.5;
    expect(await idle.check()).toBe('busy');
    state.utilization = 0;
    for (let i = 1; i < QUIET_CHECKS; i++) expect(await idle.check()).toBe('busy');
    expect(await idle.check()).toBe('collected');
  });

  it('frees what starting the service left behind at its first idle spell, and keeps the heap small after', async () => {
    const state = { heap: 40 * MB, utilization: 0, collections: 0, liveAfterCollection: 20 * MB };
    await started(state);
    expect(state).toMatchObject({ collections: 1, heap: 20 * MB });
  });

  it('leaves a heap that grew less than the threshold alone', async () => {
    const { state, idle } = await scripted();
    state.heap += IDLE_GROWTH_BYTES - 1;
    expect(await idle.check()).toBe('small');
    expect(state.collections).toBe(0);
  });

  it('collects when resident memory grew though the heap in use did not, and only once for it', async () => {
    const { state, idle } = await scripted();
    // A burst that young collections kept small in use, but whose pages stayed resident.
    state.heap += IDLE_GROWTH_BYTES - 1;
    state.resident += 50 * MB;
    expect(await idle.check()).toBe('collected');
    expect(state.collections).toBe(1);
    // What the collection could not give back is the new baseline, not a reason to collect at every check.
    expect(await idle.check()).toBe('small');
    state.resident += IDLE_GROWTH_BYTES - 1;
    expect(await idle.check()).toBe('small');
    state.resident += 1;
    expect(await idle.check()).toBe('collected');
  });

  it('measures growth from what was live after the last collection, not from the start', async () => {
    const { state, idle } = await scripted();
    state.liveAfterCollection = 120 * MB; // the service now holds more for good
    state.heap = 200 * MB;
    expect(await idle.check()).toBe('collected');
    state.heap = 120 * MB + IDLE_GROWTH_BYTES - 1;
    expect(await idle.check()).toBe('small');
  });

  it('gets a real full collection without --expose-gc, which frees garbage the heap held', async () => {
    const collect = fullGarbageCollection();
    await collect();
    const before = getHeapStatistics().used_heap_size;
    // Unreachable once the function returns.
    const grown = (() => {
      const garbage = Array.from({ length: 200 }, (_, i) =>
        Array.from({ length: 1_000 }, (_, j) => `item ${i}-${j} `.repeat(8)),
      );
      expect(garbage.length).toBe(200);
      return getHeapStatistics().used_heap_size;
    })();
    expect(grown - before).toBeGreaterThan(20 * MB);
    await collect();
    expect(getHeapStatistics().used_heap_size - before).toBeLessThan(5 * MB);
  });
});
