/**
 * The gateway's API as the console calls it. Every call carries the bearer credential its person typed at
 * sign-in; answers that are not 2xx become an {@link ApiError} holding the RFC 9457 problem.
 */
import type { AuditRecord, FlowsPage, Page, Violation } from '#contracts';
import type { InboxEntry } from '../src/read-inbox/read-inbox.handler.js';
import type { Whoami } from '../src/whoami/whoami.js';

export type { AuditRecord, FlowsPage, InboxEntry, Page, Violation, Whoami };

/** An error answer (`application/problem+json`), or one made up here when the gateway could not be reached. */
export interface Problem {
  status: number;
  /** Stable code, for example `CONTRACT.INVALID`, `GATEWAY.NOT_FOUND`. */
  code: string;
  detail: string;
  violations?: Violation[];
  correlationId?: string;
}

/** A call the gateway refused or could not answer. */
export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail);
    this.name = 'ApiError';
  }

  get status(): number {
    return this.problem.status;
  }
}

/** What `POST /v1/messages` answers. */
export interface SubmitResult {
  id: string;
  status: 'accepted' | 'duplicate';
  correlationId: string;
}

/** What `POST /v1/messages/preview` answers: who would receive the item, and who not under which rule. */
export interface PreviewResult {
  id: string;
  recipients: { party: string; outcome: 'delivered' | 'withheld'; rule: string; reason: string }[];
  refusal: { rule: string; reason: string } | null;
}

/** What `GET /v1/messages/:id` answers: a message the caller's node sent or received. */
export interface MessageView {
  id: string;
  type: string;
  sender: string;
  role: 'originator' | 'recipient';
  recalled: boolean;
  item: InboxEntry | null;
}

/** What the control endpoints (acknowledgement, share request, recall) answer. */
export interface Accepted {
  id: string;
  status: string;
  correlationId: string;
}

/** The reasons an originator may give for a recall. */
export const RECALL_REASONS = [
  'RECALL_REASON_WITHDRAWN',
  'RECALL_REASON_INACCURATE',
  'RECALL_REASON_LEGAL_ORDER',
] as const;
export type RecallReason = (typeof RECALL_REASONS)[number];

/** What `GET /v1/audit/chain` answers: whether the audit trail's hash chain verifies, and its last checkpoint. */
export interface ChainStatus {
  status: 'intact' | 'broken' | 'unverified';
  checkedAt: string;
  verifiedThrough: { seq: string | number; recordedAt: string } | null;
  rows: string | number;
  firstBreak: { seq: string | number; reason: string } | null;
  lastCheckpoint: {
    seq: string | number;
    rowHash: string;
    signedAt: string;
    witnesses: { node: string; confirmedAt: string }[];
  } | null;
}

/** Query of flows between two parties over a period. */
export interface FlowsQuery {
  from: string;
  to: string;
  /** RFC 3339, inclusive. */
  since: string;
  /** RFC 3339, exclusive. */
  until: string;
}

const query = (params: Record<string, string | undefined>): string => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, v);
  const text = q.toString();
  return text === '' ? '' : `?${text}`;
};

const segment = (value: string): string => encodeURIComponent(value.trim());

/** The gateway, called with one person's credential. */
export class Api {
  /**
   * @param token the bearer credential
   * @param onUnauthenticated told of every 401: the credential expired or was revoked meanwhile
   */
  constructor(
    private readonly token: string,
    private readonly onUnauthenticated: (problem: Problem) => void = () => undefined,
  ) {}

  me(): Promise<Whoami> {
    return this.json('GET', '/v1/me');
  }

  submit(envelope: unknown): Promise<SubmitResult> {
    return this.json('POST', '/v1/messages', { body: envelope });
  }

  preview(envelope: unknown): Promise<PreviewResult> {
    return this.json('POST', '/v1/messages/preview', { body: envelope });
  }

  message(id: string): Promise<MessageView> {
    return this.json('GET', `/v1/messages/${segment(id)}`);
  }

  acknowledge(id: string): Promise<Accepted> {
    return this.json('POST', `/v1/messages/${segment(id)}/acknowledgement`, { body: {} });
  }

  requestConsent(id: string, proposedRecipients: string[], justification: string): Promise<Accepted> {
    return this.json('POST', `/v1/messages/${segment(id)}/share-requests`, {
      body: { proposedRecipients, justification },
    });
  }

  recall(id: string, reason: RecallReason, explanation: string): Promise<Accepted> {
    return this.json('POST', `/v1/messages/${segment(id)}/recall`, { body: { reason, explanation } });
  }

  /** Opens the live inbox after a position: the response whose body is the event stream. */
  liveInbox(after: number, signal: AbortSignal): Promise<Response> {
    return this.send('GET', `/v1/inbox/live${query({ after: String(after) })}`, {
      headers: { accept: 'text/event-stream' },
      signal,
    });
  }

  trail(messageId: string, justification: string, cursor?: string): Promise<Page<AuditRecord>> {
    return this.json('GET', `/v1/audit/messages/${segment(messageId)}/trail${query({ cursor })}`, {
      justification,
    });
  }

  flows(q: FlowsQuery, justification: string, cursor?: string): Promise<FlowsPage> {
    return this.json('GET', `/v1/audit/flows${query({ ...q, cursor })}`, { justification });
  }

  officerActivity(
    officer: string,
    period: { since?: string; until?: string },
    justification: string,
    cursor?: string,
  ): Promise<Page<AuditRecord>> {
    return this.json(
      'GET',
      `/v1/audit/officers/${segment(officer)}/activity${query({ ...period, cursor })}`,
      { justification },
    );
  }

  chain(justification: string): Promise<ChainStatus> {
    return this.json('GET', '/v1/audit/chain', { justification });
  }

  private async json<T>(
    method: string,
    path: string,
    o: { body?: unknown; justification?: string } = {},
  ): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (o.body !== undefined) headers['content-type'] = 'application/json';
    if (o.justification !== undefined) headers['x-msx-justification'] = o.justification;
    const res = await this.send(method, path, {
      headers,
      ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
    });
    return (await res.json()) as T;
  }

  private async send(
    method: string,
    path: string,
    init: { headers: Record<string, string>; body?: string; signal?: AbortSignal },
  ): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(path, {
        method,
        headers: { ...init.headers, authorization: `Bearer ${this.token}` },
        body: init.body,
        signal: init.signal,
        cache: 'no-store',
        credentials: 'omit',
        redirect: 'error',
      });
    } catch (err) {
      if (init.signal?.aborted) throw err;
      throw new ApiError({ status: 0, code: 'NETWORK', detail: 'the gateway cannot be reached' });
    }
    if (res.ok) return res;
    const problem = await problemOf(res);
    if (problem.status === 401) this.onUnauthenticated(problem);
    throw new ApiError(problem);
  }
}

/** The problem an error answer carries, or one describing the answer when it carries none. */
async function problemOf(res: Response): Promise<Problem> {
  const fallback: Problem = { status: res.status, code: `HTTP.${res.status}`, detail: res.statusText };
  if (!/json/.test(res.headers.get('content-type') ?? '')) return fallback;
  try {
    const body = (await res.json()) as Partial<Problem>;
    return {
      status: res.status,
      code: typeof body.code === 'string' ? body.code : fallback.code,
      detail: typeof body.detail === 'string' ? body.detail : fallback.detail,
      ...(Array.isArray(body.violations) ? { violations: body.violations } : {}),
      ...(typeof body.correlationId === 'string' ? { correlationId: body.correlationId } : {}),
    };
  } catch {
    return fallback;
  }
}
