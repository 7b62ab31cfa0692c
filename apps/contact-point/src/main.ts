import 'reflect-metadata';
import { runNodeApp } from '#node-app';
import { NationalDispatchHandler } from './dispatch-nationally/national-dispatch.handler.js';

/** A member state's contact point on migrant smuggling; MSX_NODE_ID names it (cp-it, cp-mt, …). */
runNodeApp({ handler: NationalDispatchHandler });
