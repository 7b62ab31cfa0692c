import { rmSync } from 'node:fs';
import type { ChildHandle } from './child-process.js';

/** A server this process started and must stop: nats-server or the embedded PostgreSQL. */
export interface OwnedServer {
  name: string;
  url: string;
  port: number;
  /** Undefined while it is stopped. */
  pid: number | undefined;
  /** Starts it again after `stop()`, on the same port and storage. */
  start(): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. Its storage is kept. */
  stop(graceMs?: number): Promise<void>;
  /** Sends SIGTERM without waiting: for `process.on('exit')`, where nothing asynchronous runs. */
  stopNow(): void;
  /**
   * SIGKILL at once, as a crash of the process would end it (nothing flushed, nothing said to its peers);
   * resolves when it has exited. Its storage is kept, so `start()` brings it back on what it had written.
   */
  kill(): Promise<void>;
  /** Stops it and deletes its storage when the launcher made that (a temporary folder), not when given. */
  dispose(): Promise<void>;
}

/** What every server launcher of the kit takes. */
export interface ServerOptions {
  /** Loopback port to listen on; a free one when omitted. Refused when something answers there already. */
  port?: number;
  /** See {@link ChildOptions.ownProcessGroup}; `npm start` runs its servers in their own group. */
  ownProcessGroup?: boolean;
  /** Each line the server prints. */
  onLine?: (line: string) => void;
  /** How long to wait for it to serve, in milliseconds. */
  timeoutMs?: number;
}

/** A server process to own, as a launcher describes it. */
export interface OwnedServerSpec {
  name: string;
  url: string;
  port: number;
  /**
   * Starts the process and resolves once it serves; when it cannot, stops what it started and rejects with
   * the reason.
   */
  launch(): Promise<ChildHandle>;
  /** A storage folder the launcher made for it: deleted by `dispose()`, and when the first start fails. */
  ownDir?: string;
  /** Default grace of `stop()`, in milliseconds. */
  stopGraceMs?: number;
}

/**
 * Starts the server `spec` describes and returns it as an {@link OwnedServer}: started again on demand, stopped
 * SIGTERM first, its own storage deleted on `dispose()`.
 */
export async function ownServer(spec: OwnedServerSpec): Promise<OwnedServer> {
  let child: ChildHandle | undefined;
  // A start under way: a stop waits for it, so that a server still starting is stopped too, not orphaned.
  let launching: Promise<ChildHandle> | undefined;
  const start = async () => {
    if (child?.running()) return;
    launching ??= spec.launch();
    try {
      child = await launching;
    } finally {
      launching = undefined;
    }
  };
  const stop = async (graceMs = spec.stopGraceMs) => {
    if (launching) await launching.then((c) => (child = c)).catch(() => undefined);
    const proc = child;
    child = undefined;
    await proc?.stop(graceMs);
  };
  const removeOwnDir = () => {
    if (spec.ownDir !== undefined) rmSync(spec.ownDir, { recursive: true, force: true });
  };
  try {
    await start();
  } catch (err) {
    removeOwnDir();
    throw err;
  }
  return {
    name: spec.name,
    url: spec.url,
    port: spec.port,
    get pid() {
      return child?.pid;
    },
    start,
    stop,
    stopNow: () => child?.stopNow(),
    kill: async () => {
      if (launching) await launching.then((c) => (child = c)).catch(() => undefined);
      const proc = child;
      child = undefined;
      await proc?.kill();
    },
    dispose: async () => {
      await stop();
      removeOwnDir();
    },
  };
}
