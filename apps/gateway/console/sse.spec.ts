import { describe, expect, it } from '@jest/globals';
import { readEvents, SseParser, type SseEvent } from './sse.js';

const parseAll = (chunks: string[]): { events: SseEvent[]; parser: SseParser } => {
  const parser = new SseParser();
  const events = chunks.flatMap((c) => parser.push(c));
  events.push(...parser.end());
  return { events, parser };
};

describe('SseParser', () => {
  it('reads the live inbox as the gateway writes it: retry, then items with ids, then the end', () => {
    const { events, parser } = parseAll([
      'retry: 3000\n\n',
      'id: 1\nevent: item\ndata: {"seq":1}\n\n',
      ': keep-alive\n\n',
      'id: 2\nevent: item\ndata: {"seq":2}\n\n',
      'event: end\ndata: {"code":"GATEWAY.UNAUTHENTICATED"}\n\n',
    ]);
    expect(events).toEqual([
      { event: 'item', data: '{"seq":1}', id: '1' },
      { event: 'item', data: '{"seq":2}', id: '2' },
      { event: 'end', data: '{"code":"GATEWAY.UNAUTHENTICATED"}', id: '2' },
    ]);
    expect(parser.retryMs).toBe(3000);
    expect(parser.lastEventId).toBe('2');
  });

  it('completes events split anywhere, a CRLF split between chunks included', () => {
    const text = 'id: 7\r\nevent: item\r\ndata: {"a":\r\ndata: 1}\r\n\r\n';
    for (let cut = 1; cut < text.length; cut++) {
      const { events } = parseAll([text.slice(0, cut), text.slice(cut)]);
      expect(events).toEqual([{ event: 'item', data: '{"a":\n1}', id: '7' }]);
    }
  });

  it('takes bare CR and LF line ends, names an unnamed event message, and strips one space only', () => {
    const { events } = parseAll(['data:  two spaces\rdata\n\n']);
    expect(events).toEqual([{ event: 'message', data: ' two spaces\n', id: undefined }]);
  });

  it('dispatches nothing for an event without data, nor for one the stream cut off', () => {
    const { events, parser } = parseAll(['event: item\n\nid: 3\nevent: item\ndata: {"seq":3}\n']);
    expect(events).toEqual([]);
    expect(parser.lastEventId).toBe('3');
  });

  it('ignores a retry that is not a number of milliseconds, and an id holding NUL', () => {
    const { parser } = parseAll(['retry: soon\nid: a\0b\n\n']);
    expect(parser.retryMs).toBeUndefined();
    expect(parser.lastEventId).toBeUndefined();
  });
});

describe('readEvents', () => {
  it('hands over each event as soon as its bytes arrive, multi-byte characters split across chunks', async () => {
    const bytes = new TextEncoder().encode('event: item\ndata: Zuwara → Lampedusa\n\n');
    const arrow = bytes.indexOf(0xe2);
    const chunks = [bytes.slice(0, arrow + 1), bytes.slice(arrow + 1)];
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const c of chunks) controller.enqueue(c);
        controller.close();
      },
    });
    const seen: SseEvent[] = [];
    await readEvents(body, new SseParser(), (e) => seen.push(e));
    expect(seen).toEqual([{ event: 'item', data: 'Zuwara → Lampedusa', id: undefined }]);
  });
});
