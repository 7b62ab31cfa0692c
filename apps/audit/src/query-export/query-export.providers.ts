import type { Provider } from '@nestjs/common';
import type { AuditRepository } from '#audit-store';
import type { AuditModuleConfig } from '../audit.config.js';
import { AUDIT_REPOSITORY } from '../audit.tokens.js';
import { DEFAULT_EXPORT_PAGES_OPTIONS, ExportPages } from './export-pages.js';

/** The export's pages, read from the audit store's database. */
export function queryExportProviders(config: AuditModuleConfig): Provider[] {
  return [
    {
      provide: ExportPages,
      inject: [AUDIT_REPOSITORY],
      useFactory: (repository: AuditRepository) =>
        new ExportPages(repository, {
          ...DEFAULT_EXPORT_PAGES_OPTIONS,
          db: { url: config.MSX_DATABASE_URL, schema: config.MSX_DATABASE_SCHEMA },
        }),
    },
  ];
}
