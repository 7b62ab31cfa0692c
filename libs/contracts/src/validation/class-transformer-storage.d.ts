/**
 * class-transformer keeps its `@Type` metadata in a singleton it does not export from its entry point. The
 * compiled contract check reads it from the CommonJS build, the same module instance that `plainToInstance`
 * uses under Node and jest (both resolve the package's `main`, cjs/index.js).
 */
declare module 'class-transformer/cjs/storage.js' {
  import type { MetadataStorage } from 'class-transformer/types/MetadataStorage.js';

  export const defaultMetadataStorage: MetadataStorage;
}
