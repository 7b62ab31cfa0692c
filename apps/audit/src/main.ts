import 'reflect-metadata';
import { bootMicroservice, natsCredentials, runMain } from '#runtime';
import { loadAuditConfig } from './audit.config.js';
import { AuditModule } from './audit.module.js';
import { AUDIT_NODE } from '#contracts';

/** The audit service: records every operation of the exchange in PostgreSQL. */
runMain(async () => {
  const config = loadAuditConfig();
  await bootMicroservice(AuditModule.forRoot(config), {
    servers: config.MSX_NATS_URL,
    name: 'audit',
    logLevel: config.MSX_LOG_LEVEL,
    credentials: natsCredentials(config, AUDIT_NODE),
  });
});
