import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { BusModule } from './bus.module.js';
import { createHealthController, READINESS } from './health.js';
import { INBOX_HANDLER, InboxWorker, NODE_ID, type InboxHandler } from './inbox-worker.js';

export interface NodeAppOptions {
  nodeId: string;
  natsUrl: string;
  /** The node kind's handling of inbox items. */
  handler: Type<InboxHandler>;
  /** Further providers the handler needs. */
  providers?: DynamicModule['providers'];
}

/** The common shape of every node app: its bus connection, its inbox worker, its health endpoint. */
@Module({})
export class NodeAppModule {
  static forNode(opts: NodeAppOptions): DynamicModule {
    return {
      module: NodeAppModule,
      imports: [BusModule.forRoot({ servers: opts.natsUrl, name: `msx-${opts.nodeId}` })],
      controllers: [createHealthController(opts.nodeId)],
      providers: [
        { provide: NODE_ID, useValue: opts.nodeId },
        { provide: INBOX_HANDLER, useClass: opts.handler },
        InboxWorker,
        { provide: READINESS, useExisting: InboxWorker },
        ...(opts.providers ?? []),
      ],
    };
  }
}
