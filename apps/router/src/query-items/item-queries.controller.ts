import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { ItemView, PreviewAnswer } from '#contracts';
import { Subjects } from '#messaging';
import { answerRpc } from '#runtime';
import { ItemQueriesService } from './item-queries.service.js';

/** NATS request/reply adapter: the gateway's questions about items, on a party's behalf. */
@Controller()
export class ItemQueriesController {
  constructor(private readonly queries: ItemQueriesService) {}

  @MessagePattern<string>(Subjects.routerQuery.item)
  item(@Payload() query: unknown): Promise<ItemView> {
    return answerRpc('item query', () => this.queries.item(query));
  }

  @MessagePattern<string>(Subjects.routerQuery.preview)
  preview(@Payload() query: unknown): Promise<PreviewAnswer> {
    return answerRpc('preview', () => this.queries.preview(query));
  }
}
