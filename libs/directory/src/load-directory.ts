import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { MsxError, PUBLISHABLE_TYPES, type PayloadType } from '#contracts';
import { Directory } from './directory.js';
import {
  HANDLING_LEVELS,
  PARTY_KINDS,
  type Agreement,
  type HandlingLevel,
  type Party,
  type PartyKind,
} from './party.js';
import { DEFAULT_MAY_PUBLISH } from './payload-types.js';
import { readRetention } from './retention.js';
import { unreachablePattern } from './topics.js';

const NODE_ID = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const COUNTRY = /^[A-Z]{2}$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const TOPIC_PATTERN = /^[a-z0-9-*]+(\.[a-z0-9-*]+)*(\.>)?$|^>$/;

/** The directory could not be loaded; the message names each bad entry and why. */
export class DirectoryError extends MsxError {
  constructor(readonly problems: string[]) {
    super('DIRECTORY.INVALID', `invalid directory:\n  - ${problems.join('\n  - ')}`);
    this.name = 'DirectoryError';
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringList(v: unknown): string[] | undefined {
  return Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : undefined;
}

function unknownFields(raw: Record<string, unknown>, known: string[], at: string, problems: string[]): void {
  for (const key of Object.keys(raw))
    if (!known.includes(key)) problems.push(`${at}: unknown field "${key}"`);
}

/** Checks one party entry, pushing a sentence per problem; returns the party when it is sound. */
function readParty(raw: unknown, where: string, problems: string[]): Party | undefined {
  if (!isRecord(raw)) {
    problems.push(`${where}: must be a mapping with id, kind, name, country, clearance, subscriptions`);
    return undefined;
  }
  const id = typeof raw.id === 'string' ? raw.id : '';
  const at = id ? `${where} (${id})` : where;
  const before = problems.length;
  unknownFields(
    raw,
    ['id', 'kind', 'name', 'country', 'clearance', 'mayPublish', 'subscriptions', 'aggregatesOnly'],
    at,
    problems,
  );
  if (!NODE_ID.test(id) || id.length > 64)
    problems.push(`${at}: id must be a node id ([a-z0-9] words joined by -)`);
  const kind = raw.kind as PartyKind;
  if (!PARTY_KINDS.includes(kind)) problems.push(`${at}: kind must be one of ${PARTY_KINDS.join(', ')}`);
  if (typeof raw.name !== 'string' || raw.name.trim() === '') problems.push(`${at}: name is required`);
  if (typeof raw.country !== 'string' || !COUNTRY.test(raw.country)) {
    problems.push(`${at}: country must be an ISO 3166-1 alpha-2 code`);
  }
  if (!HANDLING_LEVELS.includes(raw.clearance as HandlingLevel)) {
    problems.push(`${at}: clearance must be one of ${HANDLING_LEVELS.join(', ')}`);
  }
  const subscriptions = raw.subscriptions === undefined ? [] : stringList(raw.subscriptions);
  if (!subscriptions) problems.push(`${at}: subscriptions must be a list of topic patterns`);
  for (const s of subscriptions ?? []) {
    if (!TOPIC_PATTERN.test(s)) {
      problems.push(`${at}: subscription "${s}" is not a topic pattern such as intel.vessel.*`);
      continue;
    }
    const unreachable = unreachablePattern(s);
    if (unreachable) problems.push(`${at}: subscription "${s}" matches no topic: ${unreachable}`);
  }
  if (kind === 'matching-service' && (subscriptions?.length ?? 0) > 0)
    problems.push(
      `${at}: a matching-service subscribes to no topic (it receives blind index updates and queries only)`,
    );
  if (kind === 'matching-service' && raw.mayPublish !== undefined && stringList(raw.mayPublish)?.length)
    problems.push(
      `${at}: a matching-service publishes no intelligence or products (mayPublish must be empty)`,
    );
  const mayPublish = raw.mayPublish === undefined ? DEFAULT_MAY_PUBLISH[kind] : stringList(raw.mayPublish);
  if (raw.mayPublish === undefined && PARTY_KINDS.includes(kind) && !mayPublish) {
    problems.push(`${at}: mayPublish is required for kind ${kind}`);
  } else if (!mayPublish) {
    problems.push(`${at}: mayPublish must be a list of message types`);
  }
  for (const t of mayPublish ?? []) {
    if (!PUBLISHABLE_TYPES.includes(t as PayloadType)) {
      problems.push(`${at}: mayPublish has "${t}", which is not one of ${PUBLISHABLE_TYPES.join(', ')}`);
    }
  }
  if (raw.aggregatesOnly !== undefined && typeof raw.aggregatesOnly !== 'boolean') {
    problems.push(`${at}: aggregatesOnly must be true or false`);
  }
  if (problems.length > before) return undefined;
  return {
    id,
    kind,
    name: (raw.name as string).trim(),
    country: raw.country as string,
    clearance: raw.clearance as HandlingLevel,
    mayPublish: [...(mayPublish as PayloadType[])],
    subscriptions: subscriptions!,
    aggregatesOnly: raw.aggregatesOnly === true,
  };
}

/** Checks one agreement entry. */
function readAgreement(raw: unknown, where: string, problems: string[]): Agreement | undefined {
  if (!isRecord(raw)) {
    problems.push(`${where}: must be a mapping with id, country, title, personalData, handlingCodes`);
    return undefined;
  }
  const id = typeof raw.id === 'string' ? raw.id : '';
  const at = id ? `${where} (${id})` : where;
  const before = problems.length;
  unknownFields(
    raw,
    ['id', 'country', 'title', 'personalData', 'legalBasis', 'handlingCodes', 'validUntil'],
    at,
    problems,
  );
  if (!NODE_ID.test(id)) problems.push(`${at}: id must be lowercase words joined by -`);
  if (typeof raw.country !== 'string' || !COUNTRY.test(raw.country)) {
    problems.push(`${at}: country must be an ISO 3166-1 alpha-2 code`);
  }
  if (typeof raw.title !== 'string' || raw.title.trim() === '') problems.push(`${at}: title is required`);
  if (typeof raw.personalData !== 'boolean') problems.push(`${at}: personalData must be true or false`);
  if (raw.personalData === true && (typeof raw.legalBasis !== 'string' || raw.legalBasis.trim() === '')) {
    problems.push(`${at}: personalData is true, so legalBasis must state the legal basis for transfers`);
  }
  const codes = stringList(raw.handlingCodes);
  if (!codes || codes.length === 0 || !codes.every((c) => HANDLING_LEVELS.includes(c as HandlingLevel))) {
    problems.push(`${at}: handlingCodes must list one or more of ${HANDLING_LEVELS.join(', ')}`);
  }
  if (
    raw.validUntil !== undefined &&
    (typeof raw.validUntil !== 'string' || !ISO_DATE.test(raw.validUntil))
  ) {
    problems.push(`${at}: validUntil must be a date such as 2027-12-31`);
  }
  if (problems.length > before) return undefined;
  return {
    id,
    country: raw.country as string,
    title: (raw.title as string).trim(),
    personalData: raw.personalData as boolean,
    legalBasis: typeof raw.legalBasis === 'string' ? raw.legalBasis.trim() : undefined,
    handlingCodes: codes as HandlingLevel[],
    validUntil: raw.validUntil as string | undefined,
  };
}

/** Validates directory data (the parsed YAML) into a Directory, naming every bad entry. */
export function parseDirectory(data: unknown): Directory {
  const problems: string[] = [];
  if (!isRecord(data) || !Array.isArray(data.parties)) {
    throw new DirectoryError(['the file must have a top-level "parties" list']);
  }
  unknownFields(data, ['parties', 'agreements', 'retention'], 'the file', problems);
  const parties: Party[] = [];
  const seen = new Set<string>();
  data.parties.forEach((raw, i) => {
    const party = readParty(raw, `parties[${i}]`, problems);
    if (!party) return;
    if (seen.has(party.id)) problems.push(`parties[${i}] (${party.id}): id appears more than once`);
    seen.add(party.id);
    parties.push(party);
  });
  const agreements: Agreement[] = [];
  if (data.agreements !== undefined && !Array.isArray(data.agreements))
    problems.push('agreements must be a list');
  ((data.agreements as unknown[] | undefined) ?? []).forEach((raw, i) => {
    const agreement = readAgreement(raw, `agreements[${i}]`, problems);
    if (!agreement) return;
    if (agreements.some((a) => a.id === agreement.id))
      problems.push(`agreements[${i}] (${agreement.id}): id appears more than once`);
    if (
      parties.some(
        (p) => p.country === agreement.country && p.kind !== 'afic-partner' && p.kind !== 'liaison-officer',
      )
    ) {
      problems.push(
        `agreements[${i}] (${agreement.id}): ${agreement.country} is not a third country of the exchange`,
      );
    }
    agreements.push(agreement);
  });
  const retention = readRetention(data.retention, problems);
  if (problems.length > 0) throw new DirectoryError(problems);
  return new Directory(parties, agreements, retention);
}

/** Reads and validates the directory file (YAML). */
export function loadDirectory(path: string): Directory {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new DirectoryError([`cannot read ${path}: ${(err as Error).message}`]);
  }
  let data: unknown;
  try {
    data = parse(text);
  } catch (err) {
    throw new DirectoryError([`${path} is not valid YAML: ${(err as Error).message}`]);
  }
  return parseDirectory(data);
}
