import { describe, expect, it } from '@jest/globals';
import { HttpException, type ArgumentsHost } from '@nestjs/common';
import { ContractViolationError, MsxError } from '#contracts';
import { HttpErrorFilter, type ErrorBody } from './http-error.filter.js';
import type { RejectionAuditor, Rejection } from './rejection-auditor.js';

/** What the filter answered, and which refusals it audited. */
async function answer(err: unknown) {
  const audited: Rejection[] = [];
  const auditor = {
    record: async (r: Rejection) => void audited.push(r),
  } as unknown as RejectionAuditor;
  const headers: Record<string, string> = {};
  let sent: { status: number; body: ErrorBody } | undefined;
  let status = 0;
  const reply = {
    header: (name: string, value: string) => ((headers[name] = value), reply),
    status: (s: number) => ((status = s), reply),
    type: (t: string) => ((headers['content-type'] = t), reply),
    send: async (body: string) => void (sent = { status, body: JSON.parse(body) as ErrorBody }),
  };
  const req = { method: 'POST', url: '/v1/messages', headers: { 'x-correlation-id': 'corr-1' }, body: {} };
  const host = {
    switchToHttp: () => ({ getRequest: () => req, getResponse: () => reply }),
  } as unknown as ArgumentsHost;
  await new HttpErrorFilter(auditor).catch(err, host);
  return { ...sent!, headers, audited };
}

describe('HttpErrorFilter', () => {
  it('answers a failure of MSX’s own as 500 without its code or text, and audits no refusal of the caller', async () => {
    for (const err of [
      new MsxError('AUDIT.STORE_REJECTED', 'audit store rejected the write: relation "msx.audit_entry" …'),
      // A refusal meant for another edge is no fault of the HTTP caller either.
      new MsxError('AUDIT.FORGED_ACTOR', 'event actor cp-it published by cp-gr'),
      new Error('cannot read properties of undefined'),
    ]) {
      const { status, body, audited } = await answer(err);
      expect(status).toBe(500);
      expect(body).toEqual({
        type: 'urn:msx:problem:INTERNAL.UNEXPECTED',
        title: 'Internal Server Error',
        status: 500,
        detail: 'internal error; quote the correlation id when reporting it',
        code: 'INTERNAL.UNEXPECTED',
        correlationId: 'corr-1',
      });
      expect(audited).toEqual([]);
    }
  });

  it('answers a refusal as a problem (RFC 9457) with its status, code and violations, and audits it', async () => {
    const { status, body, audited, headers } = await answer(
      new ContractViolationError([{ field: 'id', rule: 'uuid', message: 'must be a UUID' }]),
    );
    expect(status).toBe(400);
    expect(headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(body).toMatchObject({
      type: 'urn:msx:problem:CONTRACT.INVALID',
      title: 'Bad Request',
      status: 400,
      code: 'CONTRACT.INVALID',
      violations: [{ field: 'id', rule: 'uuid', message: 'must be a UUID' }],
    });
    expect(audited).toMatchObject([{ code: 'CONTRACT.INVALID', status: 400, correlationId: 'corr-1' }]);
  });

  it('answers an unavailable dependency as 503 in its own words, never the dependency’s', async () => {
    for (const err of [
      new MsxError('AUDIT.STORE_UNAVAILABLE', 'audit store unavailable: connect ECONNREFUSED 10.1.2.3:5432', {
        hold: true,
      }),
      new MsxError('BUS.PUBLISH_FAILED', 'publish to msx.submit.emlo-ne not confirmed: TIMEOUT', {
        retryable: true,
      }),
    ]) {
      const { status, body, headers } = await answer(err);
      expect([status, body.code, headers['retry-after']]).toEqual([503, err.code, '5']);
      expect(body.detail).toBe(`the exchange cannot serve this now (${err.code}); retry after 5 s`);
    }
    // Retryable or not, what is no unavailability is not answered as one.
    const internal = await answer(
      new MsxError('AUDIT.STORE_REJECTED', 'relation does not exist', { retryable: true }),
    );
    expect([internal.status, internal.body.code]).toEqual([500, 'INTERNAL.UNEXPECTED']);
  });

  it('answers what may succeed later as 503 with a time to wait', async () => {
    const { status, body, headers } = await answer(
      new MsxError('AUDIT.UNAVAILABLE', 'the audit trail cannot record', { hold: true }),
    );
    expect([status, body.code, headers['retry-after']]).toEqual([503, 'AUDIT.UNAVAILABLE', '5']);
  });

  it('tells a body that is not JSON by the framework’s code, not by the words of its message', async () => {
    const fastify = (code: string, message: string) =>
      Object.assign(new Error(message), { code, statusCode: 400 });
    for (const code of ['FST_ERR_CTP_INVALID_JSON_BODY', 'FST_ERR_CTP_EMPTY_JSON_BODY']) {
      const { status, body } = await answer(fastify(code, 'Body is not valid JSON'));
      expect([code, status, body.code, body.detail]).toEqual([
        code,
        400,
        'GATEWAY.INVALID_JSON',
        'the body is not valid JSON',
      ]);
    }
    // As NestJS passes it on: wrapped in an HttpException with Fastify's error as the cause.
    const wrapped = await answer(
      new HttpException('Body is not valid JSON', 400, {
        cause: fastify('FST_ERR_CTP_INVALID_JSON_BODY', 'x'),
      }),
    );
    expect([wrapped.status, wrapped.body.code]).toEqual([400, 'GATEWAY.INVALID_JSON']);
    const other = await answer(fastify('FST_ERR_OTHER', 'a message that mentions JSON'));
    expect([other.status, other.body.code]).toEqual([400, 'GATEWAY.BAD_REQUEST']);
  });
});
