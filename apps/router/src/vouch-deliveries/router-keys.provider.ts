import { resolve } from 'node:path';
import { Logger, type Provider } from '@nestjs/common';
import { LOCAL_ROUTER_SIGNING_KEY_FILE, type RouterConfig } from '../router.config.js';
import { ROUTER_KEYS } from '../router.tokens.js';
import { loadOrCreateRouterKeys, type RouterKeys } from './router-keys.js';

/** The router's keys, loaded once at start; logs which key signs (its fingerprint, never the key). */
export function routerKeysProvider(config: RouterConfig): Provider {
  return {
    provide: ROUTER_KEYS,
    useFactory: (): RouterKeys => {
      const keys = loadOrCreateRouterKeys(
        config.MSX_ROUTER_SIGNING_KEY_FILE || undefined,
        resolve(LOCAL_ROUTER_SIGNING_KEY_FILE),
      );
      new Logger('RouterKeys').log(
        `deliveries are signed with key ${keys.signer.keyId}` +
          (keys.generated
            ? ` (made now in ${keys.path}; set MSX_ROUTER_SIGNING_KEY_FILE in production)`
            : ` from ${keys.path}`),
      );
      return { signer: keys.signer, idKey: keys.idKey };
    },
  };
}
