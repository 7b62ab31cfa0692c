import { connect as tcpConnect } from 'node:net';

/** Host and port of the first server of a URL list (`nats://a:4222,nats://b:4222`, `postgres://…`). */
export function hostPortOf(url: string): { host: string; port: number } {
  const u = new URL(url.split(',')[0].trim());
  const fallback = u.protocol.startsWith('postgres') ? 5432 : 4222;
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || fallback) };
}

/** True when something accepts TCP connections at the URL's host and port within `timeoutMs`. */
export function reachable(url: string, timeoutMs = 2_000): Promise<boolean> {
  const { host, port } = hostPortOf(url);
  return new Promise((done) => {
    const sock = tcpConnect(port, host);
    sock.setTimeout(timeoutMs, () => (sock.destroy(), done(false)));
    sock.once('connect', () => (sock.destroy(), done(true)));
    sock.once('error', () => done(false));
  });
}

/** True for 127.0.0.1, ::1 and localhost: the only hosts for which `npm start` starts a server itself. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** Polls until the URL answers or `timeoutMs` passed. */
export async function waitUntilReachable(url: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await reachable(url, 500)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/** Resolves when something accepts TCP connections on the loopback port; rejects after `timeoutMs`. */
export async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  if (!(await waitUntilReachable(`tcp://127.0.0.1:${port}`, timeoutMs)))
    throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
}
