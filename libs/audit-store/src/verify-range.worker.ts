/**
 * A worker thread of the chain verifier: verifies the stretch of the trail it is given ({@link RangeTask} as
 * `workerData`), posts `{ rows }` as it goes and `{ result }` or `{ error }` at the end.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { verifyRange, type RangeTask } from './verify-range.js';

/** What the worker posts to the verifier. */
export type RangeWorkerMessage =
  { rows: number } | { result: Awaited<ReturnType<typeof verifyRange>> } | { error: string };

const post = (m: RangeWorkerMessage) => parentPort!.postMessage(m);

verifyRange(workerData as RangeTask, (rows) => post({ rows })).then(
  (result) => post({ result }),
  (err: unknown) => post({ error: err instanceof Error ? err.message : String(err) }),
);
