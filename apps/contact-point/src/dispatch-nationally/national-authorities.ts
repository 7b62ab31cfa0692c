import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { PAYLOAD_KINDS, Purpose, type PayloadType, type UseOfItems } from '#contracts';
import { ConfigError } from '#config';

/** The kinds of national authority a contact point dispatches to (action plan: the competent authorities). */
export const AUTHORITY_KINDS = [
  'border-guard',
  'coast-guard',
  'police',
  'financial-intelligence-unit',
  'prosecution',
] as const;
export type AuthorityKind = (typeof AUTHORITY_KINDS)[number];

/** Types a contact point may pass on nationally: intelligence and analysis products, never control messages. */
export const DISPATCHABLE_TYPES = (Object.keys(PAYLOAD_KINDS) as PayloadType[]).filter(
  (t) => PAYLOAD_KINDS[t].family !== 'control',
);

/**
 * What each kind of authority takes when its entry lists no `types`. Prosecution takes nothing by default:
 * what goes to a prosecutor is a decision each member state writes down.
 */
export const DEFAULT_TYPES: Record<AuthorityKind, PayloadType[]> = {
  'border-guard': ['routeReport', 'modusOperandiReport', 'debriefingReport', 'documentFraudReport'],
  'coast-guard': ['suspectVesselReport', 'vesselAlert', 'routeReport'],
  police: [
    'modusOperandiReport',
    'debriefingReport',
    'documentFraudReport',
    'internetContentReferral',
    'financialLead',
    'analysisProduct',
  ],
  'financial-intelligence-unit': ['financialLead'],
  prosecution: [],
};

/**
 * The purpose each kind of authority puts what it receives to: an item goes to an authority only when one of
 * its purposes is that one. Prosecution is judicial proceedings, which no item serves unless its provider
 * says so.
 */
export const AUTHORITY_PURPOSE: Record<AuthorityKind, Purpose> = {
  'border-guard': Purpose.BORDER_MANAGEMENT,
  'coast-guard': Purpose.BORDER_MANAGEMENT,
  police: Purpose.CRIMINAL_INVESTIGATION,
  'financial-intelligence-unit': Purpose.FINANCIAL_INVESTIGATION,
  prosecution: Purpose.JUDICIAL_PROCEEDINGS,
};

/** Passing items to an authority, as a use of them: `dispatch:<id>`, serving its kind's purpose. */
export const useOf = (authority: NationalAuthority): UseOfItems => ({
  name: `dispatch:${authority.id}`,
  serves: [AUTHORITY_PURPOSE[authority.kind]],
});

/** How an authority is reached: a subject on its own NATS server, or an HTTPS (HTTP on loopback) endpoint. */
export type AuthorityEndpoint =
  | { transport: 'nats'; url: string; subject: string; token?: string }
  | { transport: 'http'; url: string; token?: string };

export interface NationalAuthority {
  /** Short id, unique within the contact point, used in audit rows and logs (`guardia-costiera`). */
  id: string;
  kind: AuthorityKind;
  name: string;
  types: PayloadType[];
  endpoint: AuthorityEndpoint;
}

/** How failed dispatches are retried: the delay doubles from `firstDelayMs` up to `maxDelayMs`. */
export interface RetryPolicy {
  /** Failed attempts after which the dispatch is reported (audited and logged as an error); it is still retried. */
  reportAfter: number;
  firstDelayMs: number;
  maxDelayMs: number;
  /** How long one attempt may take. */
  timeoutMs: number;
}

export interface NationalAuthorities {
  authorities: NationalAuthority[];
  retry: RetryPolicy;
}

export const DEFAULT_RETRY: RetryPolicy = {
  reportAfter: 5,
  firstDelayMs: 1_000,
  maxDelayMs: 300_000,
  timeoutMs: 10_000,
};

const ID = /^[a-z0-9]+(-[a-z0-9]+)*$/;
/** A NATS subject to publish on: tokens of safe characters, no wildcards. */
const SUBJECT = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function unknownFields(raw: Record<string, unknown>, known: string[], at: string, problems: string[]): void {
  for (const key of Object.keys(raw))
    if (!known.includes(key)) problems.push(`${at}: unknown field "${key}" (known: ${known.join(', ')})`);
}

/** Reads a secret from a file named in the configuration; the secret itself never appears in a message. */
function readToken(raw: unknown, at: string, problems: string[], readFile: (p: string) => string) {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || raw === '') {
    problems.push(`${at}: must be the path of a file holding the token`);
    return undefined;
  }
  try {
    const token = readFile(raw).trim();
    if (token) return token;
    problems.push(`${at}: ${raw} is empty`);
  } catch (err) {
    problems.push(`${at}: cannot read ${raw} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return undefined;
}

function urlOf(raw: unknown, schemes: string[], at: string, problems: string[]): URL | undefined {
  let url: URL | undefined;
  try {
    url = typeof raw === 'string' ? new URL(raw) : undefined;
  } catch {
    url = undefined;
  }
  if (!url || !schemes.includes(url.protocol.slice(0, -1))) {
    problems.push(`${at}: must be a ${schemes.join(' or ')} URL`);
    return undefined;
  }
  if (url.username || url.password) {
    problems.push(`${at}: must not carry credentials; name a tokenFile instead`);
    return undefined;
  }
  return url;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

function readEndpoint(
  raw: Record<string, unknown>,
  at: string,
  problems: string[],
  readFile: (p: string) => string,
): AuthorityEndpoint | undefined {
  const { nats, http } = raw;
  if ((nats === undefined) === (http === undefined)) {
    problems.push(`${at}: exactly one of nats or http is required (how the authority is reached)`);
    return undefined;
  }
  if (nats !== undefined) {
    const where = `${at}.nats`;
    if (!isRecord(nats)) {
      problems.push(`${where}: must be a mapping with url and subject`);
      return undefined;
    }
    unknownFields(nats, ['url', 'subject', 'tokenFile'], where, problems);
    const url = urlOf(nats.url, ['nats', 'tls'], `${where}.url`, problems);
    const subject = typeof nats.subject === 'string' ? nats.subject : '';
    if (!SUBJECT.test(subject))
      problems.push(`${where}.subject: must be a NATS subject without wildcards, such as it.gdf.msx.intake`);
    const token = readToken(nats.tokenFile, `${where}.tokenFile`, problems, readFile);
    return url && SUBJECT.test(subject)
      ? { transport: 'nats', url: url.toString(), subject, ...(token ? { token } : {}) }
      : undefined;
  }
  const where = `${at}.http`;
  if (!isRecord(http)) {
    problems.push(`${where}: must be a mapping with url`);
    return undefined;
  }
  unknownFields(http, ['url', 'tokenFile'], where, problems);
  const url = urlOf(http.url, ['https', 'http'], `${where}.url`, problems);
  // Intelligence leaves in clear only to this host itself.
  if (url && url.protocol === 'http:' && !LOOPBACK.has(url.hostname)) {
    problems.push(`${where}.url: must be https (plain http is allowed only to this host, for tests)`);
    return undefined;
  }
  const token = readToken(http.tokenFile, `${where}.tokenFile`, problems, readFile);
  return url ? { transport: 'http', url: url.toString(), ...(token ? { token } : {}) } : undefined;
}

function readAuthority(
  raw: unknown,
  where: string,
  problems: string[],
  readFile: (p: string) => string,
): NationalAuthority | undefined {
  if (!isRecord(raw)) {
    problems.push(`${where}: must be a mapping with id, kind, name and nats or http`);
    return undefined;
  }
  const id = typeof raw.id === 'string' ? raw.id : '';
  const at = id ? `${where} (${id})` : where;
  const before = problems.length;
  unknownFields(raw, ['id', 'kind', 'name', 'types', 'nats', 'http'], at, problems);
  if (!ID.test(id) || id.length > 64) problems.push(`${at}: id must be [a-z0-9] words joined by -`);
  const kind = raw.kind as AuthorityKind;
  const kindOk = AUTHORITY_KINDS.includes(kind);
  if (!kindOk) problems.push(`${at}: kind must be one of ${AUTHORITY_KINDS.join(', ')}`);
  if (typeof raw.name !== 'string' || raw.name.trim() === '') problems.push(`${at}: name is required`);
  let types: PayloadType[] = kindOk ? DEFAULT_TYPES[kind] : [];
  if (raw.types !== undefined) {
    if (!Array.isArray(raw.types)) problems.push(`${at}: types must be a list of payload types`);
    else {
      types = [];
      for (const t of raw.types as unknown[]) {
        if (!DISPATCHABLE_TYPES.includes(t as PayloadType))
          problems.push(
            `${at}: type "${String(t)}" cannot be dispatched; dispatchable types: ${DISPATCHABLE_TYPES.join(', ')}`,
          );
        else if (types.includes(t as PayloadType))
          problems.push(`${at}: type "${String(t)}" is listed twice`);
        else types.push(t as PayloadType);
      }
    }
  }
  if (kindOk && types.length === 0 && problems.length === before)
    problems.push(`${at}: types is required for kind ${kind} (it takes nothing by default)`);
  const endpoint = readEndpoint(raw, at, problems, readFile);
  if (problems.length > before || !endpoint) return undefined;
  return { id, kind, name: raw.name as string, types, endpoint };
}

function readRetry(raw: unknown, problems: string[]): RetryPolicy {
  if (raw === undefined) return DEFAULT_RETRY;
  if (!isRecord(raw)) {
    problems.push('retry: must be a mapping');
    return DEFAULT_RETRY;
  }
  const limits: Record<keyof RetryPolicy, [number, number]> = {
    reportAfter: [1, 1_000],
    firstDelayMs: [10, 3_600_000],
    maxDelayMs: [10, 86_400_000],
    timeoutMs: [100, 300_000],
  };
  unknownFields(raw, Object.keys(limits), 'retry', problems);
  const retry = { ...DEFAULT_RETRY };
  for (const [key, [min, max]] of Object.entries(limits) as Array<[keyof RetryPolicy, [number, number]]>) {
    const v = raw[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      problems.push(`retry.${key}: must be a whole number from ${min} to ${max}`);
    else retry[key] = v;
  }
  if (retry.maxDelayMs < retry.firstDelayMs)
    problems.push('retry.maxDelayMs: must not be below firstDelayMs');
  return retry;
}

/**
 * Checks a contact point's national authorities (the parsed file), naming every problem by entry and field.
 * @throws ConfigError listing each problem
 */
export function parseNationalAuthorities(
  raw: unknown,
  source: string,
  readFile: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): NationalAuthorities {
  const problems: string[] = [];
  const authorities: NationalAuthority[] = [];
  if (!isRecord(raw) || !Array.isArray(raw.authorities)) {
    throw new ConfigError([
      `${source}: must be a mapping with a list "authorities" (and optionally "retry")`,
    ]);
  }
  unknownFields(raw, ['authorities', 'retry'], source, problems);
  raw.authorities.forEach((entry, i) => {
    const a = readAuthority(entry, `${source}: authorities[${i}]`, problems, readFile);
    if (!a) return;
    if (authorities.some((b) => b.id === a.id))
      problems.push(`${source}: authorities[${i}] (${a.id}): id is used twice`);
    else authorities.push(a);
  });
  const retry = readRetry(raw.retry, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return { authorities, retry };
}

/**
 * Loads the national authorities from `MSX_DISPATCH_FILE` (YAML).
 * @throws ConfigError naming the file and every problem in it
 */
export function loadNationalAuthorities(file: string): NationalAuthorities {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([
      `MSX_DISPATCH_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    ]);
  }
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    throw new ConfigError([`MSX_DISPATCH_FILE: ${file} is not YAML: ${(err as Error).message}`]);
  }
  return parseNationalAuthorities(raw, file);
}

/** The authorities that take a type, in the order the file lists them. */
export function authoritiesFor(all: NationalAuthority[], type: PayloadType | undefined): NationalAuthority[] {
  return type ? all.filter((a) => a.types.includes(type)) : [];
}
