import 'reflect-metadata';
import { runNodeApp } from '#node-app';
import { PostHandler } from './post/post.handler.js';
import { postSetup } from './post/post.setup.js';

/**
 * A European migration liaison officer's post abroad; MSX_NODE_ID names it (emlo-ne, ilo-it-ly, …). Its
 * reports and acknowledgements leave through an outbox that survives restarts and a lost link
 * (`npm run post -- send`); it reaches the exchange through a leaf node of its own when one is configured.
 */
runNodeApp({
  handler: PostHandler,
  setup: () => postSetup(),
});
