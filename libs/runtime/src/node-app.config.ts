import { loadConfig, logSpec, natsSpec, nodeId } from '#config';

/** Configuration of a node app (contact point, JOT MARE, AFIC, liaison officer). */
export function loadNodeAppConfig(defaultNodeId?: string) {
  return loadConfig({ ...natsSpec, ...logSpec, MSX_NODE_ID: nodeId(defaultNodeId) });
}
