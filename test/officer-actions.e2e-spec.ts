import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { uuidv7 } from '#contracts';
import { Streams, type Bus } from '#messaging';
import {
  asJson,
  createTestSchema,
  freePort,
  startSecureBroker,
  validRouteReportEnvelope,
  waitFor,
  type SecureBroker,
  type ServiceProcess,
  type TestSchema,
} from '#testing';
import {
  auditTrail,
  exchangeEnv,
  requireBuild,
  startLocal,
  startTestNationalNetwork,
  type TestNationalNetwork,
} from './support.js';

/**
 * What officers do with one message at the gateway, each with a credential of their own, against the
 * running exchange: the preview, one type's endpoint, reading one message, acknowledging it, asking and
 * granting consent, forwarding under it, recalling; and a party that neither sent nor received a message
 * finds it nowhere (a uniform 404), whatever it tries.
 */
/** emlo-ne's system credential, as an agency system holds it. */
const SYSTEM = 'emlo-ne-system-e2e-token-0123456789abcdef';

/** Who may call which routes; any route the API description lists must be here, or the test fails. */
const MAY: readonly [RegExp, readonly string[]][] = [
  [/^\/v1\/me$/, ['officer', 'system', 'auditor', 'admin']],
  [/^\/v1\/audit\//, ['auditor']],
  [/^\/v1\/(messages|reports|inbox)(\/|$)/, ['officer', 'system']],
];

describe('officers act on messages through the gateway', () => {
  let nats: SecureBroker;
  let db: TestSchema;
  let bus: Bus;
  let gatewayUrl: string;
  let national: TestNationalNetwork;
  const services: ServiceProcess[] = [];
  const token: Record<string, string> = {};

  /** Issues a credential with the admin command, as an administrator would. */
  function issue(person: string, role: string): string {
    const r = spawnSync(
      process.execPath,
      ['dist/scripts/admin.js', 'issue', '--person', person, '--role', role, '--as', 'msx.admin-1'],
      { env: { ...process.env, MSX_DATABASE_URL: db.url, MSX_DATABASE_SCHEMA: db.schema }, encoding: 'utf8' },
    );
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.status).toBe(0);
    return r.stdout.trim();
  }

  beforeAll(async () => {
    requireBuild();
    nats = await startSecureBroker();
    db = await createTestSchema('e2e');
    bus = await nats.connectAs('msx-admin');
    national = await startTestNationalNetwork(['cp-it', 'cp-gr']);
    const port = await freePort();
    gatewayUrl = `http://127.0.0.1:${port}`;
    const env = {
      ...exchangeEnv({
        databaseUrl: db.url,
        schema: db.schema,
        gatewayPort: port,
        tokens: { 'emlo-ne': SYSTEM },
      }),
      // The role matrix below is refused on purpose, many times a minute, from one address.
      MSX_GATEWAY_FAILURE_LIMIT: '1000',
    };
    services.push(
      ...startLocal(nats, env, ['router', 'audit', 'gateway', 'cp-it', 'cp-gr', 'emlo-ne'], national.envOf),
    );
    await Promise.all(services.map((s) => s.waitForLine(/ ready/, 60_000)));
    token.emlo = issue('emlo-ne.officer-17', 'officer');
    token.it = issue('cp-it.analyst-5', 'officer');
    token.gr = issue('cp-gr.officer-2', 'officer');
    token.auditor = issue('eppo.auditor-1', 'auditor');
    token.admin = issue('msx.admin-2', 'admin');
    token.system = SYSTEM;
    token.stranger = 'msx_' + 'A'.repeat(43);
  }, 150_000);

  afterAll(async () => {
    await Promise.all(services.map((s) => s.kill()));
    await bus?.close();
    await nats?.dispose();
    await national?.dispose();
    await db?.drop();
  }, 60_000);

  /** A request as `who`; on 503 (the trail catching up just after start) it waits and tries again. */
  async function call(
    who: string,
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: Record<string, unknown>; headers: Headers }> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const res = await fetch(`${gatewayUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token[who]}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
      const json = (await res.json()) as Record<string, unknown>;
      if (res.status !== 503 || Date.now() > deadline)
        return { status: res.status, json, headers: res.headers };
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }

  /** Waits until `who` finds the message (it is routed asynchronously after the 202). */
  const routed = (who: string, id: string, until: (m: Record<string, unknown>) => boolean = () => true) =>
    waitFor(
      async () => {
        const r = await call(who, 'GET', `/v1/messages/${id}`);
        return r.status === 200 && until(r.json) ? r.json : undefined;
      },
      `${id} as ${who} sees it`,
      30_000,
    );

  const h2Report = () =>
    asJson(
      validRouteReportEnvelope({
        id: uuidv7(),
        createdAt: new Date().toISOString(),
        author: undefined,
        handlingCode: 'HANDLING_CODE_H2',
        recipients: ['cp-it'],
        releasability: { scope: 'RELEASABILITY_SCOPE_EU_ONLY' },
      }),
    );

  it('previews who would receive a report and who not under which rule, publishes nothing, and audits the preview', async () => {
    const before = (await bus.jsm.streams.info(Streams.submit)).state.messages;
    const draft = h2Report();
    const r = await call('emlo', 'POST', '/v1/messages/preview', draft);
    expect(r.status).toBe(200);
    const recipients = r.json.recipients as { party: string; outcome: string; rule: string }[];
    expect(recipients).toContainEqual(expect.objectContaining({ party: 'cp-it', outcome: 'delivered' }));
    const withheld = recipients.filter((d) => d.outcome === 'withheld');
    expect(withheld.length).toBeGreaterThan(0);
    for (const w of withheld) expect(w.rule).toMatch(/^POLICY\./);
    expect(r.json.refusal).toBeNull();
    expect((await bus.jsm.streams.info(Streams.submit)).state.messages).toBe(before);
    const [row] = await auditTrail(db).rowsOf(draft.id as string, (x) => x.operation === 'consulted', 1);
    expect(row).toMatchObject({ actor_node: 'emlo-ne', rule: 'GATEWAY.PREVIEW' });
    const [person] = await db.query<{ actor_person: string }>(
      `SELECT actor_person FROM "${db.schema}".audit_entry WHERE message_id = $1`,
      [draft.id],
    );
    expect(person.actor_person).toBe('emlo-ne.officer-17');
    // The router decided it as it would route it: submitting it delivers to the same parties.
    const sent = await call('emlo', 'POST', '/v1/reports/route-report', draft);
    expect(sent.status).toBe(202);
    const delivered = await auditTrail(db).rowsOf(draft.id as string, (x) => x.operation === 'delivered', 1);
    expect(delivered.map((d) => d.counterpart_node).sort()).toEqual(
      recipients
        .filter((d) => d.outcome === 'delivered')
        .map((d) => d.party)
        .sort(),
    );
  });

  it("takes one type's payload only at that type's endpoint", async () => {
    const wrong = await call('emlo', 'POST', '/v1/reports/financial-lead', h2Report());
    expect(wrong.status).toBe(400);
    expect(wrong.json.violations).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'routeReport', rule: 'unknownProperty' }),
        expect.objectContaining({ field: 'financialLead', rule: 'required' }),
      ]),
    );
    const unknown = await call('emlo', 'POST', '/v1/reports/weather-report', h2Report());
    expect(unknown.status).toBe(404);
  });

  it('shows a message to its originator and its recipient, and to no one else, exactly as if it did not exist', async () => {
    const report = h2Report();
    expect((await call('emlo', 'POST', '/v1/messages', report)).status).toBe(202);
    const id = report.id as string;
    // The router records where the copy landed a moment after delivering it; until then `item` is null.
    const seen = await routed('it', id, (m) => m.item !== null);
    expect(seen).toMatchObject({ id, role: 'recipient', sender: 'emlo-ne', recalled: false });
    expect((seen.item as { envelope: { id: string } }).envelope.id).toBe(id);
    expect(await routed('emlo', id)).toMatchObject({ role: 'originator', item: null });

    const foreign = await call('gr', 'GET', `/v1/messages/${id}`);
    const missing = await call('gr', 'GET', `/v1/messages/${uuidv7()}`);
    expect(foreign.status).toBe(404);
    expect(missing.status).toBe(404);
    const shape = (j: Record<string, unknown>) => ({
      type: j.type,
      title: j.title,
      detail: j.detail,
      code: j.code,
    });
    expect(shape(foreign.json)).toEqual(shape(missing.json));
    expect((await call('gr', 'GET', '/v1/messages/not-a-message-id')).status).toBe(404);
    // Every action on a foreign message is the same 404, before its body is even looked at.
    for (const [method, path, body] of [
      ['GET', `/v1/messages/${id}/receipts`, undefined],
      ['POST', `/v1/messages/${id}/acknowledgement`, {}],
      ['POST', `/v1/messages/${id}/share-requests`, { proposedRecipients: ['cp-gr'], justification: 'x' }],
      ['POST', `/v1/messages/${id}/share-decisions`, { requestId: uuidv7(), granted: true, reason: 'x' }],
      ['POST', `/v1/messages/${id}/forward`, { consentRef: uuidv7(), recipients: ['cp-gr'] }],
      ['POST', `/v1/messages/${id}/recall`, { reason: 'RECALL_REASON_WITHDRAWN', explanation: 'x' }],
      // A body the action would refuse changes nothing: whether the party may see the message comes first.
      ['POST', `/v1/messages/${id}/share-decisions`, { bogus: 1 }],
      ['POST', `/v1/messages/${id}/forward`, { bogus: 1 }],
      ['POST', `/v1/messages/${id}/share-requests`, 'not an object'],
    ] as const) {
      const r = await call('gr', method, path, body);
      expect([path, r.status, shape(r.json)]).toEqual([path, 404, shape(missing.json)]);
    }
    // An auditor reads the trail, not the intelligence.
    expect((await call('auditor', 'GET', `/v1/messages/${id}`)).status).toBe(403);
    // The recipient read it once: consulted under its person, from the gateway.
    const consulted = await auditTrail(db).rowsOf(id, (r) => r.rule === 'GATEWAY.MESSAGE_READ', 1);
    expect(consulted[0]).toMatchObject({ actor_node: 'cp-it', operation: 'consulted' });
  });

  it('acknowledges, asks consent, grants it, forwards under it, shows the originator its receipts, and recalls', async () => {
    const report = h2Report();
    expect((await call('emlo', 'POST', '/v1/messages', report)).status).toBe(202);
    const id = report.id as string;
    await routed('it', id);

    const ack = await call('it', 'POST', `/v1/messages/${id}/acknowledgement`, {});
    expect([ack.status, ack.json.violations]).toEqual([202, undefined]);
    // A body with a field the action does not take is refused, naming where.
    const extra = await call('it', 'POST', `/v1/messages/${id}/share-requests`, {
      proposedRecipients: ['cp-gr'],
      justification: 'The same network is active in the Aegean.',
      urgent: true,
    });
    expect(extra.status).toBe(400);
    expect(extra.json.violations).toEqual([
      expect.objectContaining({ field: 'shareRequest', rule: 'unknownProperty' }),
    ]);
    // Only the originator decides and recalls; only a recipient asks.
    expect(
      (
        await call('it', 'POST', `/v1/messages/${id}/recall`, {
          reason: 'RECALL_REASON_WITHDRAWN',
          explanation: 'x',
        })
      ).status,
    ).toBe(403);
    expect((await call('emlo', 'POST', `/v1/messages/${id}/acknowledgement`, {})).status).toBe(403);

    const asked = await call('it', 'POST', `/v1/messages/${id}/share-requests`, {
      proposedRecipients: ['cp-gr'],
      justification: 'The same network is active in the Aegean.',
    });
    expect(asked.status).toBe(202);
    const requestId = asked.json.id as string;
    const granted = await waitFor(
      async () => {
        const r = await call('emlo', 'POST', `/v1/messages/${id}/share-decisions`, {
          requestId,
          granted: true,
          reason: 'Greece is concerned.',
          grantedRecipients: ['cp-gr'],
          validUntil: new Date(Date.now() + 86_400_000).toISOString(),
        });
        // 404 until the request is routed and in the ledger.
        return r.status === 404 ? undefined : r;
      },
      'the decision on the share request',
      30_000,
    );
    expect(granted.status).toBe(202);
    const consentRef = granted.json.id as string;
    // A forward without a consent would be cp-it's own submission of emlo-ne's intelligence.
    const unconsented = await call('it', 'POST', `/v1/messages/${id}/forward`, { recipients: ['cp-gr'] });
    expect([unconsented.status, unconsented.json.violations]).toEqual([
      400,
      [expect.objectContaining({ field: 'consentRef', rule: 'required' })],
    ]);
    const forwarded = await waitFor(
      async () => {
        const r = await call('it', 'POST', `/v1/messages/${id}/forward`, {
          consentRef,
          recipients: ['cp-gr'],
        });
        return r.status === 202 ? r : undefined;
      },
      'the forward',
      30_000,
    );
    expect(forwarded.status).toBe(202);
    expect(await routed('gr', id)).toMatchObject({ role: 'recipient', sender: 'emlo-ne' });

    const receipts = await waitFor(
      async () => {
        const r = await call('emlo', 'GET', `/v1/messages/${id}/receipts`);
        const j = r.json as {
          decisions?: { party: string; outcome: string }[];
          acknowledgements?: unknown[];
          shareRequests?: unknown[];
        };
        return j.decisions?.some((d) => d.outcome === 'forwarded') && (j.acknowledgements ?? []).length > 0
          ? j
          : undefined;
      },
      'receipts with the forward and the acknowledgement',
      30_000,
    );
    expect(receipts.decisions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ party: 'cp-it', outcome: 'delivered', by: 'emlo-ne' }),
        expect.objectContaining({ party: 'cp-gr', outcome: 'forwarded', by: 'cp-it' }),
      ]),
    );
    expect(receipts.acknowledgements).toEqual([expect.objectContaining({ party: 'cp-it' })]);
    expect(receipts.shareRequests).toEqual([
      expect.objectContaining({ party: 'cp-it', messageId: requestId }),
    ]);
    expect((await call('it', 'GET', `/v1/messages/${id}/receipts`)).status).toBe(404);

    const recalled = await call('emlo', 'POST', `/v1/messages/${id}/recall`, {
      reason: 'RECALL_REASON_INACCURATE',
      explanation: 'The departure area was Sabratha.',
    });
    expect(recalled.status).toBe(202);
    expect(await routed('it', id, (m) => m.recalled === true)).toMatchObject({ recalled: true, item: null });
  });

  it('answers every endpoint of its API description for every role: 401 without a credential, 403 for a role that may not, and serves the roles that may', async () => {
    const doc = (await (await fetch(`${gatewayUrl}/docs/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const roles = { officer: 'it', system: 'system', auditor: 'auditor', admin: 'admin' } as const;
    const seen: string[] = [];
    const table: [string, string, number][] = [];
    for (const [pattern, methods] of Object.entries(doc.paths)) {
      const path = pattern
        .replace('{id}', uuidv7())
        .replace('{type}', 'route-report')
        .replace('{officer}', 'cp-it.analyst-5');
      for (const method of Object.keys(methods).map((m) => m.toUpperCase())) {
        seen.push(`${method} ${pattern}`);
        const ask = async (who: string | undefined) => {
          const abort = new AbortController();
          const res = await fetch(`${gatewayUrl}${path}`, {
            method,
            signal: abort.signal,
            headers: {
              ...(who ? { authorization: `Bearer ${token[who]}` } : {}),
              ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
            },
            body: method === 'POST' ? '{}' : undefined,
          });
          // The live inbox never ends by itself: its status is all this needs.
          abort.abort();
          return res.status;
        };
        if (!pattern.startsWith('/v1/')) {
          expect([pattern, await ask(undefined)]).toEqual([pattern, 200]);
          continue;
        }
        const rule = MAY.find(([re]) => re.test(pattern));
        expect([pattern, rule ? 'listed' : 'missing from MAY']).toEqual([pattern, 'listed']);
        table.push([pattern, 'none', await ask(undefined)], [pattern, 'stranger', await ask('stranger')]);
        for (const [role, who] of Object.entries(roles)) {
          const status = await ask(who);
          table.push([
            pattern,
            role,
            rule![1].includes(role) ? (status === 401 || status === 403 ? -status : 0) : status,
          ]);
        }
      }
    }
    // Every route is refused to the unauthenticated and to the roles that may not; 0 marks a role served.
    for (const [pattern, role, status] of table) {
      const rule = MAY.find(([re]) => re.test(pattern))!;
      const expected = role === 'none' || role === 'stranger' ? 401 : rule[1].includes(role) ? 0 : 403;
      expect({ pattern, role, status }).toEqual({ pattern, role, status: expected });
    }
    // The description holds the routes this file acts on, so the matrix cannot silently shrink.
    expect(seen).toEqual(
      expect.arrayContaining([
        'POST /v1/messages/preview',
        'GET /v1/messages/{id}',
        'POST /v1/messages/{id}/recall',
        'GET /v1/audit/chain',
        'GET /v1/inbox/live',
        'GET /v1/me',
      ]),
    );
  });
});
