import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { MsxError, type PayloadType } from '#contracts';
import { Directory } from './directory.js';
import { HANDLING_LEVELS, PARTY_KINDS, type HandlingLevel, type Party, type PartyKind } from './party.js';

const NODE_ID = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const COUNTRY = /^[A-Z]{2}$/;
const TOPIC_PATTERN = /^[a-z0-9-*]+(\.[a-z0-9-*]+)*(\.>)?$|^>$/;

/** Every payload type; used to check `mayPublish` and as the default for hubs. */
export const ALL_PAYLOAD_TYPES: PayloadType[] = [
  'routeReport',
  'modusOperandiReport',
  'financialLead',
  'suspectVesselReport',
  'documentFraudReport',
  'internetContentReferral',
  'debriefingReport',
  'deliveryReceipt',
  'acknowledgement',
  'shareRequest',
  'shareDecision',
  'recall',
  'erasureReceipt',
  'vesselAlert',
  'analysisProduct',
  'crossCheckRequest',
  'hitNotice',
];

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

/** Checks one party entry, pushing a sentence per problem; returns the party when it is sound. */
function readParty(raw: unknown, where: string, problems: string[]): Party | undefined {
  if (!isRecord(raw)) {
    problems.push(`${where}: must be a mapping with id, kind, name, country, clearance, subscriptions`);
    return undefined;
  }
  const id = typeof raw.id === 'string' ? raw.id : '';
  const at = id ? `${where} (${id})` : where;
  const before = problems.length;
  const known = new Set(['id', 'kind', 'name', 'country', 'clearance', 'mayPublish', 'subscriptions']);
  for (const key of Object.keys(raw)) if (!known.has(key)) problems.push(`${at}: unknown field "${key}"`);
  if (!NODE_ID.test(id) || id.length > 64)
    problems.push(`${at}: id must be a node id ([a-z0-9] words joined by -)`);
  if (!PARTY_KINDS.includes(raw.kind as PartyKind))
    problems.push(`${at}: kind must be one of ${PARTY_KINDS.join(', ')}`);
  if (typeof raw.name !== 'string' || raw.name.trim() === '') problems.push(`${at}: name is required`);
  if (typeof raw.country !== 'string' || !COUNTRY.test(raw.country))
    problems.push(`${at}: country must be an ISO 3166-1 alpha-2 code`);
  if (!HANDLING_LEVELS.includes(raw.clearance as HandlingLevel))
    problems.push(`${at}: clearance must be one of ${HANDLING_LEVELS.join(', ')}`);
  const subscriptions = raw.subscriptions === undefined ? [] : stringList(raw.subscriptions);
  if (!subscriptions) problems.push(`${at}: subscriptions must be a list of topic patterns`);
  for (const s of subscriptions ?? [])
    if (!TOPIC_PATTERN.test(s))
      problems.push(`${at}: subscription "${s}" is not a topic pattern such as intel.vessel.*`);
  const mayPublish = raw.mayPublish === undefined ? ALL_PAYLOAD_TYPES : stringList(raw.mayPublish);
  if (!mayPublish) problems.push(`${at}: mayPublish must be a list of message types`);
  for (const t of mayPublish ?? [])
    if (!ALL_PAYLOAD_TYPES.includes(t as PayloadType))
      problems.push(`${at}: mayPublish has unknown message type "${t}"`);
  if (problems.length > before) return undefined;
  return {
    id,
    kind: raw.kind as PartyKind,
    name: (raw.name as string).trim(),
    country: raw.country as string,
    clearance: raw.clearance as HandlingLevel,
    mayPublish: mayPublish as PayloadType[],
    subscriptions: subscriptions!,
  };
}

/** Validates directory data (the parsed YAML) into a Directory, naming every bad entry. */
export function parseDirectory(data: unknown): Directory {
  const problems: string[] = [];
  if (!isRecord(data) || !Array.isArray(data.parties))
    throw new DirectoryError(['the file must have a top-level "parties" list']);
  const parties: Party[] = [];
  const seen = new Set<string>();
  data.parties.forEach((raw, i) => {
    const party = readParty(raw, `parties[${i}]`, problems);
    if (!party) return;
    if (seen.has(party.id)) problems.push(`parties[${i}] (${party.id}): id appears more than once`);
    seen.add(party.id);
    parties.push(party);
  });
  if (problems.length > 0) throw new DirectoryError(problems);
  return new Directory(parties);
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
