import { loadConfig, logSpec, natsSpec, nodeId, str } from '#config';
import { routerKeySpec } from '#runtime';

/** A node app keeps the audit trail's signed checkpoints as a witness when `MSX_WITNESS_DIR` is set. */
export const witnessSpec = {
  /** Folder where this node keeps the audit checkpoints it witnesses (`<log id>.jsonl`); empty: no witness. */
  MSX_WITNESS_DIR: str(''),
  /**
   * The audit service's public key (PEM) the checkpoints must verify against. When empty, the key of the
   * first checkpoint of each trail is pinned in `<dir>/<log id>.key` and later checkpoints must match it.
   */
  MSX_WITNESS_AUDIT_KEY_FILE: str(''),
};

/**
 * Configuration of a node app (contact point, JOT MARE, AFIC, liaison officer). `MSX_ROUTER_KEY_FILE` is
 * required: a node accepts only inbox copies the router vouched for.
 */
export function loadNodeAppConfig(defaultNodeId?: string, env?: NodeJS.ProcessEnv) {
  return loadConfig(
    { ...natsSpec, ...logSpec, ...witnessSpec, ...routerKeySpec, MSX_NODE_ID: nodeId(defaultNodeId) },
    env,
  );
}

/** Only the witness settings, for the node app module. */
export const loadWitnessConfig = () => loadConfig(witnessSpec);
