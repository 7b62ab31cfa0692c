/**
 * Server-Sent Events read from a `fetch` response, as the WHATWG HTML standard parses them. The console
 * cannot use `EventSource`: it sends no Authorization header, and the credential must not travel in a URL or
 * a cookie.
 */

/** One event as dispatched: its type (`message` when unnamed), its data lines joined by `\n`, its id. */
export interface SseEvent {
  event: string;
  data: string;
  /** The last event id seen on the stream when this event was dispatched. */
  id: string | undefined;
}

/** Parses an event stream chunk by chunk; chunks may split lines and events anywhere. */
export class SseParser {
  /** The id of the last event (what a reconnect resumes after). */
  lastEventId: string | undefined;
  /** The reconnection time the server asked for (`retry:`), in milliseconds. */
  retryMs: number | undefined;
  private pending = '';
  private data: string[] = [];
  private type = '';

  /** Feeds decoded text; returns the events completed by it. */
  push(text: string): SseEvent[] {
    const events: SseEvent[] = [];
    const buffer = this.pending + text;
    let start = 0;
    for (let i = 0; i < buffer.length; i++) {
      const c = buffer[i];
      if (c !== '\n' && c !== '\r') continue;
      // A CR at the end may be the first half of CRLF: wait for the next chunk.
      if (c === '\r' && i + 1 === buffer.length) break;
      this.line(buffer.slice(start, i), events);
      if (c === '\r' && buffer[i + 1] === '\n') i++;
      start = i + 1;
    }
    this.pending = buffer.slice(start);
    return events;
  }

  /** The stream ended: a trailing CR ends its line; an event not closed by a blank line is discarded. */
  end(): SseEvent[] {
    const events: SseEvent[] = [];
    if (this.pending.endsWith('\r')) this.line(this.pending.slice(0, -1), events);
    this.pending = '';
    this.data = [];
    this.type = '';
    return events;
  }

  private line(line: string, events: SseEvent[]): void {
    if (line === '') {
      if (this.data.length > 0)
        events.push({ event: this.type || 'message', data: this.data.join('\n'), id: this.lastEventId });
      this.data = [];
      this.type = '';
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'data':
        this.data.push(value);
        break;
      case 'event':
        this.type = value;
        break;
      case 'id':
        if (!value.includes('\0')) this.lastEventId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retryMs = Number(value);
        break;
      default:
      // Unknown fields are ignored.
    }
  }
}

/**
 * Reads a response body to its end, handing each event to `onEvent` as it completes.
 * @throws what reading throws (the connection lost, or aborted)
 */
export async function readEvents(
  body: ReadableStream<Uint8Array>,
  parser: SseParser,
  onEvent: (event: SseEvent) => void,
): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      for (const event of parser.push(decoder.decode(value, { stream: true }))) onEvent(event);
    }
    for (const event of parser.push(decoder.decode())) onEvent(event);
    for (const event of parser.end()) onEvent(event);
  } finally {
    reader.releaseLock();
  }
}
