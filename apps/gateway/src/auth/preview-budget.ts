import { Inject, Injectable } from '@nestjs/common';
import type { GatewayConfig } from '../gateway.config.js';
import { GATEWAY_CONFIG } from '../gateway.tokens.js';
import { FailureLimiter } from './failure-limiter.js';
import { RateLimitedError } from './gateway-tokens.js';

/** Who a preview is counted against: the person of a personal credential, or the node whose systems share a token. */
export interface PreviewCaller {
  node: string;
  /** The holder of a personal credential; undefined for a node's system credential. */
  holder?: string;
}

/**
 * How many previews one caller may ask for within a window. A preview answers who would receive a draft,
 * and under which rule the others would not, while sharing nothing: asked at will, it would let a party map
 * the sharing rules, and which parties follow which topics, without a single item shared. Past the limit the
 * caller is answered 429 until the window ends; submissions, reads and actions are not counted.
 *
 * The count is per person, not per credential, so that a person holding several credentials gets no more; a
 * node's systems acting for officers (`x-msx-officer`) share their node's count, since the token, not the
 * name it sends, is what is vouched for.
 */
@Injectable()
export class PreviewBudget {
  private readonly counter: FailureLimiter;

  constructor(
    @Inject(GATEWAY_CONFIG)
    config: Pick<GatewayConfig, 'MSX_GATEWAY_PREVIEW_LIMIT' | 'MSX_GATEWAY_PREVIEW_WINDOW_MS'>,
  ) {
    const limit = config.MSX_GATEWAY_PREVIEW_LIMIT;
    this.counter = new FailureLimiter({
      perAddress: limit,
      perCredential: limit,
      windowMs: config.MSX_GATEWAY_PREVIEW_WINDOW_MS,
    });
  }

  /**
   * Counts one preview against the caller.
   * @throws RateLimitedError (429) when the caller has used up the window's previews
   */
  take(caller: PreviewCaller): void {
    const key = caller.holder !== undefined ? `person:${caller.holder}` : `node:${caller.node}`;
    const ms = this.counter.heldOffMs(undefined, key);
    if (ms > 0) {
      throw new RateLimitedError(
        Math.ceil(ms / 1000),
        `${caller.holder ?? `the systems of ${caller.node}`} asked for more previews than MSX_GATEWAY_PREVIEW_LIMIT allows in a window`,
      );
    }
    this.counter.refused(undefined, key);
  }
}
