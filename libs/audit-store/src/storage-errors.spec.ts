import { describe, expect, it } from '@jest/globals';
import { classifyStorageError, isTransientStorageError } from './storage-errors.js';

/** A PostgreSQL error as the driver reports it, wrapped as TypeORM wraps it. */
const pgError = (code: string, message = 'failed') =>
  Object.assign(new Error(message), { name: 'QueryFailedError', driverError: { code } });

describe('what the stores wait out and what they refuse', () => {
  it.each([
    ['08006', 'connection failure'],
    ['57P01', 'the server shutting down'],
    ['53300', 'too many connections'],
    ['40001', 'a serialization failure'],
    ['40P01', 'a deadlock'],
    ['55P03', 'a lock not available'],
    ['25006', 'a standby that takes no writes until it is promoted'],
  ])('waits out %s (%s): held, retried without limit', (code) => {
    expect(isTransientStorageError(pgError(code))).toBe(true);
    expect(classifyStorageError(pgError(code))).toMatchObject({
      code: 'AUDIT.STORE_UNAVAILABLE',
      hold: true,
    });
  });

  it.each([
    ['22P05', 'text PostgreSQL cannot store (U+0000)'],
    ['23505', 'a unique violation'],
    ['42501', 'a privilege the writer lacks'],
  ])('refuses %s (%s): the write is at fault, not the database', (code) => {
    expect(isTransientStorageError(pgError(code))).toBe(false);
    expect(classifyStorageError(pgError(code)).code).toBe('AUDIT.STORE_REJECTED');
  });

  it('waits out a lost connection the driver reports without a SQLSTATE', () => {
    expect(isTransientStorageError(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isTransientStorageError(new Error('Connection terminated unexpectedly'))).toBe(true);
  });
});
