import { databaseSpec, loadConfig, logSpec, natsSpec } from '#config';

export const loadAuditConfig = () => loadConfig({ ...natsSpec, ...logSpec, ...databaseSpec });
export type AuditConfig = ReturnType<typeof loadAuditConfig>;
