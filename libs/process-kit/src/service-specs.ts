import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { SERVICE_PRINCIPALS } from '#contracts';

/** Where the processes of a local exchange are listed. */
export const SERVICES_FILE = 'deploy/services.yaml';

/**
 * One process of a local exchange, as `npm start`, the benchmark and the end-to-end tests run it: one
 * process per service and per node. Listed in `deploy/services.yaml`.
 */
export interface ServiceSpec {
  /** Name in logs: `router`, `cp-it`. */
  name: string;
  /** The app under `apps/` that runs it. */
  app: string;
  /** Environment particular to this process. */
  env: Record<string, string>;
  /** True for the nodes that keep the audit store's signed checkpoints as witnesses (MSX_WITNESS_DIR). */
  witness?: boolean;
}

/** The services file could not be read; the message names the file, each bad entry and field, and why. */
export class ServicesFileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`invalid ${file}:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ServicesFileError';
  }
}

const NAME = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const ENV_NAME = /^[A-Z][A-Z0-9_]*$/;
const FIELDS = ['name', 'app', 'env', 'witness'];

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks one entry, pushing a sentence per problem; returns the spec when it is sound. */
function readEntry(raw: unknown, where: string, problems: string[]): ServiceSpec | undefined {
  if (!isRecord(raw)) {
    problems.push(`${where}: must be a mapping with name, app and optionally env, witness`);
    return undefined;
  }
  const at = typeof raw.name === 'string' && raw.name ? `${where} (${raw.name})` : where;
  const before = problems.length;
  for (const key of Object.keys(raw))
    if (!FIELDS.includes(key)) problems.push(`${at}: unknown field "${key}"`);
  if (typeof raw.name !== 'string' || !NAME.test(raw.name))
    problems.push(`${at}: name must be a name such as cp-it ([a-z0-9] words joined by -)`);
  if (typeof raw.app !== 'string' || !NAME.test(raw.app))
    problems.push(`${at}: app must name an app under apps/, such as contact-point`);
  const env: Record<string, string> = {};
  if (raw.env !== undefined && !isRecord(raw.env)) problems.push(`${at}: env must be a mapping of variables`);
  for (const [key, value] of Object.entries(isRecord(raw.env) ? raw.env : {})) {
    if (!ENV_NAME.test(key)) problems.push(`${at}: env: "${key}" is not a variable name such as MSX_NODE_ID`);
    else if (typeof value !== 'string') problems.push(`${at}: env: ${key} must be a string`);
    else env[key] = value;
  }
  if (typeof raw.app === 'string' && NAME.test(raw.app)) {
    const core = Object.hasOwn(SERVICE_PRINCIPALS, raw.app);
    if (core && env.MSX_NODE_ID !== undefined)
      problems.push(`${at}: env: MSX_NODE_ID is for node apps; ${raw.app} is a core service`);
    if (!core && env.MSX_NODE_ID === undefined)
      problems.push(`${at}: env: MSX_NODE_ID is required: ${raw.app} is a node app and runs as one node`);
  }
  if (raw.witness !== undefined && typeof raw.witness !== 'boolean')
    problems.push(`${at}: witness must be true or false`);
  if (problems.length > before) return undefined;
  return {
    name: raw.name as string,
    app: raw.app as string,
    env,
    ...(raw.witness === true ? { witness: true } : {}),
  };
}

/**
 * Reads the list of services from the text of a services file (`services:` followed by entries).
 * @throws ServicesFileError naming `file`, every bad entry and field
 */
export function parseServices(text: string, file: string = SERVICES_FILE): ServiceSpec[] {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new ServicesFileError(file, [`not YAML: ${(err as Error).message}`]);
  }
  if (!isRecord(doc) || !Array.isArray(doc.services) || doc.services.length === 0)
    throw new ServicesFileError(file, ['must hold a non-empty list "services"']);
  const problems: string[] = [];
  for (const key of Object.keys(doc))
    if (key !== 'services') problems.push(`unknown top-level field "${key}"`);
  const specs: ServiceSpec[] = [];
  const seen = new Set<string>();
  const nodes = new Map<string, string>();
  (doc.services as unknown[]).forEach((raw, i) => {
    const spec = readEntry(raw, `services[${i}]`, problems);
    if (!spec) return;
    const at = `services[${i}] (${spec.name})`;
    if (seen.has(spec.name)) problems.push(`${at}: name: listed twice`);
    seen.add(spec.name);
    const node = spec.env.MSX_NODE_ID;
    if (node !== undefined && nodes.has(node))
      problems.push(
        `${at}: env: MSX_NODE_ID ${node} is run by ${nodes.get(node)} already; two processes would split one inbox`,
      );
    if (node !== undefined && !nodes.has(node)) nodes.set(node, at);
    specs.push(spec);
  });
  if (problems.length > 0) throw new ServicesFileError(file, problems);
  return specs;
}

/**
 * The services of a local exchange, read from `deploy/services.yaml` (or `file`) relative to the checkout.
 * @throws ServicesFileError when the file is missing or an entry is bad
 */
export function loadServices(file: string = SERVICES_FILE): ServiceSpec[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ServicesFileError(file, [`cannot be read: ${(err as Error).message}`]);
  }
  return parseServices(text, file);
}

/**
 * The services whose node (`MSX_NODE_ID`) the directory does not list, one sentence each: such a node would
 * have no account at the broker and no place in the sharing rules.
 */
export function unlistedNodes(
  services: readonly ServiceSpec[],
  nodeIds: readonly string[],
  directoryFile: string,
): string[] {
  const nodes = new Set(nodeIds);
  return services
    .filter((s) => s.env.MSX_NODE_ID !== undefined && !nodes.has(s.env.MSX_NODE_ID))
    .map((s) => `${s.name}: MSX_NODE_ID ${s.env.MSX_NODE_ID} is not a node of ${directoryFile}`);
}
