import { directorySpec, loadConfig, logSpec, natsSpec } from '#config';

export const loadRouterConfig = () => loadConfig({ ...natsSpec, ...logSpec, ...directorySpec });
export type RouterConfig = ReturnType<typeof loadRouterConfig>;
