/** Public entry of the audit store: the trail's entity, migrations, data source and repository. */
export * from './audit-entry.entity.js';
export * from './audit-data-source.js';
export * from './audit-repository.js';
export * from './storage-errors.js';
