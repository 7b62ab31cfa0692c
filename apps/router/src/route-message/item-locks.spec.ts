import { describe, expect, it } from '@jest/globals';
import { ItemLocks } from './item-locks.js';

/** Lets every pending promise callback run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('ItemLocks', () => {
  it('grants a key to one holder at a time, in the order asked for', async () => {
    const locks = new ItemLocks();
    const order: string[] = [];
    const releaseFirst = await locks.acquire('item-1');
    const second = locks.acquire('item-1').then((release) => (order.push('second'), release));
    const third = locks.acquire('item-1').then((release) => (order.push('third'), release));
    await settle();
    expect(order).toEqual([]);
    releaseFirst();
    (await second)();
    (await third)();
    expect(order).toEqual(['second', 'third']);
  });

  it('does not hold one key up for another', async () => {
    const locks = new ItemLocks();
    await locks.acquire('item-1');
    let granted = false;
    void locks.acquire('item-2').then(() => (granted = true));
    await settle();
    expect(granted).toBe(true);
  });

  it('forgets a key once its last holder releases it', async () => {
    const locks = new ItemLocks();
    const first = await locks.acquire('item-1');
    const second = locks.acquire('item-1');
    expect(locks.size).toBe(1);
    first();
    expect(locks.size).toBe(1);
    (await second)();
    expect(locks.size).toBe(0);
  });
});
