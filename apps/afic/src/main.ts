import 'reflect-metadata';
import { runNodeApp } from '#node-app';
import { PartnerBridgeHandler } from './partner-bridge/partner-bridge.handler.js';

/** Frontex's Africa-Frontex Intelligence Community. */
runNodeApp({ handler: PartnerBridgeHandler, defaultNodeId: 'afic' });
