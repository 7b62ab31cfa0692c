import { directorySpec, loadConfig, logSpec, natsSpec } from '#config';
import { auditGateSpec } from '#runtime';

export const loadRouterConfig = () =>
  loadConfig({ ...natsSpec, ...logSpec, ...directorySpec, ...auditGateSpec });
export type RouterConfig = ReturnType<typeof loadRouterConfig>;
