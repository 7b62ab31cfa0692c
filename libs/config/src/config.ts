import { isIP } from 'node:net';
import { MsxError } from '#contracts';

/** Reads one variable: returns the parsed value, or throws an Error whose message says what was expected. */
export type Parser<T> = (raw: string | undefined, name: string) => T;

/** Configuration was missing or malformed; the message names every bad variable. */
export class ConfigError extends MsxError {
  constructor(readonly problems: string[]) {
    super('CONFIG.INVALID', `invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Validates the environment once, at start, into a typed object. Every problem is collected, so one run
 * names all the bad variables; nothing else in MSX reads `process.env`.
 */
export function loadConfig<S extends Record<string, Parser<unknown>>>(
  spec: S,
  env: NodeJS.ProcessEnv = process.env,
): { [K in keyof S]: ReturnType<S[K]> } {
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const [name, parse] of Object.entries(spec)) {
    try {
      out[name] = parse(env[name], name);
    } catch (err) {
      problems.push(`${name}: ${(err as Error).message}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out as { [K in keyof S]: ReturnType<S[K]> };
}

function present(raw: string | undefined): raw is string {
  return raw !== undefined && raw.trim() !== '';
}

/** A text value; required unless a default is given. */
export function str(def?: string): Parser<string> {
  return (raw) => {
    if (present(raw)) return raw.trim();
    if (def !== undefined) return def;
    throw new Error('is required');
  };
}

/** A text value that may be absent (undefined). */
export function optionalStr(): Parser<string | undefined> {
  return (raw) => (present(raw) ? raw.trim() : undefined);
}

/**
 * A URL whose scheme is one of `schemes`. With `list`, several may be given separated by commas (a NATS
 * cluster's servers): each is checked, and the one that is wrong is named by its place in the list.
 */
export function url(schemes: string[], def?: string, opts: { list?: boolean } = {}): Parser<string> {
  const one = (value: string, place: string) => {
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      throw new Error(
        `${place}must be a URL (${schemes.join(' or ')}), got "${value.replace(/\/\/[^@]*@/, '//***@')}"`,
      );
    }
    if (!schemes.includes(parsed.protocol.replace(/:$/, ''))) {
      throw new Error(`${place}must use scheme ${schemes.join(' or ')}, got ${parsed.protocol}`);
    }
  };
  return (raw) => {
    const value = present(raw) ? raw.trim() : def;
    if (value === undefined) throw new Error('is required');
    if (!opts.list) {
      one(value, '');
      return value;
    }
    const items = value.split(',').map((item) => item.trim());
    items.forEach((item, i) => one(item, items.length > 1 ? `entry ${i + 1} ` : ''));
    return items.join(',');
  };
}

/** An integer within [min, max]. */
export function int(def: number | undefined, min: number, max: number): Parser<number> {
  return (raw) => {
    if (!present(raw)) {
      if (def !== undefined) return def;
      throw new Error('is required');
    }
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new Error(`must be an integer from ${min} to ${max}, got "${raw}"`);
    return n;
  };
}

/** An integer within [min, max], or undefined when absent. */
export function optionalInt(min: number, max: number): Parser<number | undefined> {
  const parse = int(undefined, min, max);
  return (raw, name) => (present(raw) ? parse(raw, name) : undefined);
}

const HOST_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** An interface to listen on: an IP address (`127.0.0.1`, `::1`, `0.0.0.0`) or a host name. */
export function host(def: string): Parser<string> {
  return (raw) => {
    const value = present(raw) ? raw.trim() : def;
    if (isIP(value) === 0 && (value.length > 253 || !HOST_NAME.test(value)))
      throw new Error(`must be an IP address or a host name, got "${value}"`);
    return value;
  };
}

/** One of a fixed set of words. */
export function oneOf<T extends string>(values: readonly T[], def?: T): Parser<T> {
  return (raw) => {
    const value = present(raw) ? raw.trim() : def;
    if (value === undefined) throw new Error(`is required (one of ${values.join(', ')})`);
    if (!values.includes(value as T)) throw new Error(`must be one of ${values.join(', ')}, got "${value}"`);
    return value as T;
  };
}

const NODE_ID = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/** A node id as used in subjects (`cp-it`, `emlo-ne`). */
export function nodeId(def?: string): Parser<string> {
  return (raw) => {
    const value = present(raw) ? raw.trim() : def;
    if (value === undefined) throw new Error('is required (a node id such as cp-it)');
    if (!NODE_ID.test(value) || value.length > 64)
      throw new Error(`must be a node id ([a-z0-9] words joined by -), got "${value}"`);
    return value;
  };
}

/** A PostgreSQL identifier for the schema MSX keeps its tables in. */
export function schemaName(def: string): Parser<string> {
  return (raw) => {
    const value = present(raw) ? raw.trim() : def;
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(value))
      throw new Error(`must be a lowercase SQL identifier, got "${value}"`);
    return value;
  };
}

/**
 * Gateway bearer tokens, one per node: `node=token,node=token`. Tokens are secrets: at least 32
 * characters, never echoed back in errors.
 */
export function nodeTokens(): Parser<Map<string, string>> {
  return (raw) => {
    const out = new Map<string, string>();
    if (!present(raw)) return out;
    for (const [i, pair] of raw.split(',').entries()) {
      const eq = pair.indexOf('=');
      const node = pair.slice(0, eq).trim();
      const token = pair.slice(eq + 1).trim();
      if (eq < 1 || !NODE_ID.test(node))
        throw new Error(`entry ${i + 1} must be node=token with a node id before "="`);
      if (token.length < 32) throw new Error(`token for ${node} must be at least 32 characters`);
      if (out.has(node)) throw new Error(`node ${node} appears twice`);
      out.set(node, token);
    }
    return out;
  };
}
