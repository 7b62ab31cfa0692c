/**
 * The processes of a local exchange, as `npm start` and the end-to-end tests run them: one process per
 * service and per node. `deploy/` describes the same set for other environments.
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

export const LOCAL_SERVICES: readonly ServiceSpec[] = [
  { name: 'audit', app: 'audit', env: {} },
  { name: 'router', app: 'router', env: {} },
  { name: 'gateway', app: 'gateway', env: {} },
  { name: 'cp-it', app: 'contact-point', env: { MSX_NODE_ID: 'cp-it' }, witness: true },
  { name: 'cp-gr', app: 'contact-point', env: { MSX_NODE_ID: 'cp-gr' } },
  { name: 'jot-mare', app: 'jot-mare', env: { MSX_NODE_ID: 'jot-mare' }, witness: true },
  { name: 'afic', app: 'afic', env: { MSX_NODE_ID: 'afic' } },
  { name: 'emlo-ne', app: 'liaison-officer', env: { MSX_NODE_ID: 'emlo-ne' } },
];
