import 'reflect-metadata';
import { runNodeApp } from '#node-app';
import {
  CONTACT_POINT_MIGRATIONS,
  contactPointProviders,
  nationalAuthoritiesFromConfig,
} from './contact-point.setup.js';
import { NationalDispatchHandler } from './dispatch-nationally/national-dispatch.handler.js';

/**
 * A member state's contact point on migrant smuggling; MSX_NODE_ID names it (cp-it, cp-mt, …) and
 * MSX_DISPATCH_FILE its national authorities.
 */
runNodeApp({
  handler: NationalDispatchHandler,
  setup: (nodeId) => ({
    migrations: CONTACT_POINT_MIGRATIONS,
    providers: contactPointProviders(nodeId, nationalAuthoritiesFromConfig()),
  }),
});
