import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  checkIssueRequest,
  checkRevokeRequest,
  MAX_REASON_LENGTH,
  CredentialRequestError,
  DEFAULT_LIFETIME_MS,
  isIssuedTokenForm,
  MAX_LIFETIME_MS,
  newToken,
  parseExpiry,
  refusalOf,
  tokenDigest,
  type Credential,
  type IssueRequest,
} from './credential.js';

const NOW = Date.parse('2026-12-04T12:00:00Z');
const DAY = 86_400_000;
const nodes = new Set(['cp-it', 'emlo-ne']);
const isNode = (id: string) => nodes.has(id);
const request = (over: Partial<IssueRequest> = {}): IssueRequest => ({
  person: 'cp-it.officer-3',
  node: 'cp-it',
  role: 'officer',
  issuedBy: 'msx.admin-1',
  ...over,
});

function refusal(req: IssueRequest): { field: string; rule: string } | undefined {
  try {
    checkIssueRequest(req, NOW, isNode);
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(CredentialRequestError);
    const e = err as CredentialRequestError;
    expect(e.message.startsWith(`${e.field}: `)).toBe(true);
    return { field: e.field, rule: e.rule };
  }
}

describe('tokens', () => {
  it('are 256 random bits behind the msx_ prefix, never the same twice', () => {
    const tokens = new Set(Array.from({ length: 200 }, newToken));
    expect(tokens.size).toBe(200);
    for (const t of tokens) expect(isIssuedTokenForm(t)).toBe(true);
    expect(isIssuedTokenForm('msx_short')).toBe(false);
  });

  it('are stored as a SHA-256 digest that differs for any other token', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        expect(tokenDigest(a)).toHaveLength(32);
        expect(tokenDigest(a).equals(tokenDigest(b))).toBe(a === b);
      }),
    );
  });
});

describe('checkIssueRequest', () => {
  it('gives each role its default lifetime, and keeps an expiry within the longest', () => {
    for (const role of ['officer', 'system', 'auditor', 'admin'] as const) {
      const person = role === 'officer' || role === 'system' ? 'cp-it.x' : 'edps.auditor-1';
      const node = person.slice(0, person.indexOf('.'));
      expect(checkIssueRequest(request({ role, person, node }), NOW, isNode).getTime()).toBe(
        NOW + DEFAULT_LIFETIME_MS[role],
      );
    }
    const at = new Date(NOW + MAX_LIFETIME_MS);
    expect(checkIssueRequest(request({ expiresAt: at }), NOW, isNode)).toEqual(at);
  });

  it.each<[Partial<IssueRequest>, string, string]>([
    [{ role: 'root' as never }, 'role', 'credentialRole'],
    [{ person: 'emlo-ne.officer-3' }, 'person', 'personOfNode'],
    [{ person: 'cp-it.Officer' }, 'person', 'personOfNode'],
    [{ person: 'c\u0440-it.officer-3' }, 'person', 'personOfNode'],
    [{ person: 'cp-xx.officer-3', node: 'cp-xx' }, 'node', 'nodeInDirectory'],
    [{ issuedBy: 'root' }, 'as', 'administratorId'],
    [{ issuedBy: '' }, 'as', 'administratorId'],
    [{ expiresAt: new Date(NOW) }, 'expires', 'expiryInFuture'],
    [{ expiresAt: new Date(NOW + MAX_LIFETIME_MS + 1) }, 'expires', 'maxLifetime'],
    [{ expiresAt: new Date(Number.NaN) }, 'expires', 'expiryInFuture'],
  ])('refuses %j naming %s and the rule %s', (over, field, rule) => {
    expect(refusal(request(over))).toEqual({ field, rule });
  });

  it('binds auditors and administrators to their organisation without asking the directory', () => {
    expect(refusal(request({ role: 'auditor', person: 'edps.auditor-1', node: 'edps' }))).toBeUndefined();
    expect(refusal(request({ role: 'system', person: 'edps.x', node: 'edps' }))).toEqual({
      field: 'node',
      rule: 'nodeInDirectory',
    });
  });
});

describe('parseExpiry', () => {
  it('reads durations from now and ISO times', () => {
    expect(parseExpiry('90d', NOW).getTime()).toBe(NOW + 90 * DAY);
    expect(parseExpiry('12h', NOW).getTime()).toBe(NOW + 12 * 3_600_000);
    expect(parseExpiry(' 30m ', NOW).getTime()).toBe(NOW + 30 * 60_000);
    expect(parseExpiry('2027-03-01', NOW).toISOString()).toBe('2027-03-01T00:00:00.000Z');
    expect(parseExpiry('2027-03-01T10:00:00+01:00', NOW).toISOString()).toBe('2027-03-01T09:00:00.000Z');
  });

  it.each(['', '90', 'd', '-1d', '1y', 'tomorrow', '2027-13-45', '2027-03-01 10:00'])(
    'refuses %j naming the field and the form',
    (text) => {
      expect(() => parseExpiry(text, NOW)).toThrow(
        expect.objectContaining({ field: 'expires', rule: 'expiryForm' }),
      );
    },
  );
});

describe('refusalOf', () => {
  const credential = (over: Partial<Credential>): Credential => ({
    id: '0190d5a0-0000-7000-8000-000000000000',
    person: 'cp-it.officer-3',
    node: 'cp-it',
    role: 'officer',
    issuedAt: new Date(NOW - DAY),
    expiresAt: new Date(NOW + DAY),
    issuedBy: 'msx.admin-1',
    revokedAt: null,
    revokedBy: null,
    ...over,
  });

  it('accepts a credential before its expiry, refuses it from then on, and refuses a revoked one', () => {
    expect(refusalOf(credential({}), NOW)).toBeUndefined();
    expect(refusalOf(credential({ expiresAt: new Date(NOW) }), NOW)).toBe('the credential has expired');
    expect(refusalOf(credential({ revokedAt: new Date(NOW - 1), revokedBy: 'msx.admin-1' }), NOW)).toBe(
      'the credential has been revoked',
    );
  });
});

describe('checkRevokeRequest', () => {
  it('takes an administrator id and a reason of printable text', () => {
    expect(() => checkRevokeRequest('msx.admin-1', '')).not.toThrow();
    expect(() => checkRevokeRequest('msx.admin-1', 'left the post; see ticket 2026/17')).not.toThrow();
  });

  it.each<[string, string, string, string]>([
    ['', '', 'as', 'administratorId'],
    ['Mario Rossi', '', 'as', 'administratorId'],
    ['msx.admin-1\u001b[2J', '', 'as', 'administratorId'],
    ['msx.admin-1', 'x'.repeat(MAX_REASON_LENGTH + 1), 'reason', 'maxLength'],
    ['msx.admin-1', 'left\u001b[2J', 'reason', 'noControlCharacters'],
    ['msx.admin-1', 'line one\nline two', 'reason', 'noControlCharacters'],
  ])('refuses as %j with reason %j, naming %s and the rule %s', (by, reason, field, rule) => {
    expect(() => checkRevokeRequest(by, reason)).toThrow(expect.objectContaining({ field, rule }));
  });
});
