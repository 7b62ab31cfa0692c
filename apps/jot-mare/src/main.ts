import 'reflect-metadata';
import { runNodeApp } from '#node-app';
import { SuspectVesselHandler } from './suspect-vessel-list/suspect-vessel.handler.js';

/** Europol's JOT MARE: the EU information hub on smuggling by sea. */
runNodeApp({ handler: SuspectVesselHandler, defaultNodeId: 'jot-mare' });
