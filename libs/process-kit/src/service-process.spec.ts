import { describe, expect, it } from '@jest/globals';
import { SERVICE_ALLOCATOR_ENV, serviceEnv } from './service-process.js';

describe('serviceEnv', () => {
  it('sets the allocator so that freed buffers go back to the system, unless the environment sets it', () => {
    expect(serviceEnv({ MSX_NODE_ID: 'cp-it' }, {})).toEqual({
      MALLOC_ARENA_MAX: '2',
      MALLOC_MMAP_THRESHOLD_: '32768',
      MALLOC_TRIM_THRESHOLD_: '131072',
      MSX_NODE_ID: 'cp-it',
    });
    const env = serviceEnv({}, { MALLOC_ARENA_MAX: '8' });
    // Left to the current environment, which the child inherits as it is.
    expect(env.MALLOC_ARENA_MAX).toBeUndefined();
    expect(env.MALLOC_MMAP_THRESHOLD_).toBe(SERVICE_ALLOCATOR_ENV.MALLOC_MMAP_THRESHOLD_);
    expect(serviceEnv({ MALLOC_TRIM_THRESHOLD_: '0' }, {}).MALLOC_TRIM_THRESHOLD_).toBe('0');
  });
});
