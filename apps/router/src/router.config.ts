import { directorySpec, loadConfig, logSpec, natsSpec, opsSpec, str } from '#config';
import { auditGateSpec } from '#runtime';

/** How the router vouches for its deliveries (DESIGN §4). */
export const vouchSpec = {
  /**
   * Ed25519 private key (PEM, PKCS#8, mode 0600) with which the router signs every copy it delivers; nodes
   * pin its public key. When empty (local runs), the key in `.msx/keys/router-signing-key.pem` (where `npm start` keeps it) is used, made on
   * first start; only its fingerprint is logged.
   */
  MSX_ROUTER_SIGNING_KEY_FILE: str(''),
};

export const loadRouterConfig = () =>
  loadConfig({ ...natsSpec, ...logSpec, ...directorySpec, ...auditGateSpec, ...vouchSpec, ...opsSpec });
export type RouterConfig = ReturnType<typeof loadRouterConfig>;

/** Where a local run keeps the router signing key it made. */
export const LOCAL_ROUTER_SIGNING_KEY_FILE = '.msx/keys/router-signing-key.pem';
