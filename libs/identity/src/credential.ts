import { createHash, randomBytes } from 'node:crypto';
import { hasNoControlCharacters, isNodeBoundOfficerId, isOfficerOfNode } from '#contracts';

/**
 * What a credential lets its holder do at the gateway:
 * - `officer`: a person of a node; submits and reads the node's inbox as themselves;
 * - `system`: an agency system of a node; names the officer it acts for in each request;
 * - `auditor`: a person who reads the audit trail, and nothing else;
 * - `admin`: a person who administers the gateway; no intelligence and no trail.
 */
export const CREDENTIAL_ROLES = ['officer', 'system', 'auditor', 'admin'] as const;
export type CredentialRole = (typeof CREDENTIAL_ROLES)[number];

export const isCredentialRole = (value: unknown): value is CredentialRole =>
  typeof value === 'string' && (CREDENTIAL_ROLES as readonly string[]).includes(value);

const DAY_MS = 24 * 60 * 60 * 1000;

/** How long a credential lasts when the command names no expiry: people 90 days, systems a year. */
export const DEFAULT_LIFETIME_MS: Readonly<Record<CredentialRole, number>> = {
  officer: 90 * DAY_MS,
  system: 365 * DAY_MS,
  auditor: 90 * DAY_MS,
  admin: 30 * DAY_MS,
};

/** The longest a credential may last: every credential expires, none later than this after it was issued. */
export const MAX_LIFETIME_MS = 400 * DAY_MS;

/** Every token issued starts with this, so that secret scanners and people recognise one. */
export const TOKEN_PREFIX = 'msx_';

/** A token as issued: the prefix and 32 random bytes in base64url. */
const TOKEN_FORM = /^msx_[A-Za-z0-9_-]{43}$/;

/** Whether a text has the form of an issued token (says nothing of whether it is valid). */
export const isIssuedTokenForm = (value: string): boolean => TOKEN_FORM.test(value);

/** A new token: 256 random bits, shown once to the person it is for and stored only as its digest. */
export function newToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/**
 * The digest a token is stored and looked up by: SHA-256. A token carries 256 random bits, so a slow hash
 * would add nothing against guessing, and a fast one keeps the lookup cheap on every request.
 */
export function tokenDigest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** A credential as stored (never with its token). */
export interface Credential {
  id: string;
  /** The person it was issued to (`<node>.<name>`), or for a system credential the system's name. */
  person: string;
  /** The node it is bound to. */
  node: string;
  role: CredentialRole;
  issuedAt: Date;
  expiresAt: Date;
  issuedBy: string;
  revokedAt: Date | null;
  revokedBy: string | null;
}

/** What an administrator asks for. */
export interface IssueRequest {
  person: string;
  node: string;
  role: CredentialRole;
  /** Absolute expiry; the role's default lifetime from now when absent. */
  expiresAt?: Date;
  /** The administrator issuing it, recorded as the person acting. */
  issuedBy: string;
}

/** A request an administrator made that breaks a rule: says which field and which rule. */
export class CredentialRequestError extends Error {
  constructor(
    readonly field: string,
    readonly rule: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'CredentialRequestError';
  }
}

/**
 * Checks an issue request against the rules of credentials, before anything is written.
 * @param isNode whether a node id names a party of the directory (officer and system credentials are bound to one)
 * @throws CredentialRequestError naming the field and the rule
 */
export function checkIssueRequest(req: IssueRequest, nowMs: number, isNode: (id: string) => boolean): Date {
  if (!isCredentialRole(req.role))
    throw new CredentialRequestError(
      'role',
      'credentialRole',
      `must be one of ${CREDENTIAL_ROLES.join(', ')}`,
    );
  if (!isOfficerOfNode(req.person, req.node))
    throw new CredentialRequestError(
      'person',
      'personOfNode',
      `must be ${req.node}.<name>: the name of lower-case ASCII letters, digits, ".", "_" or "-", 64 characters at most in all`,
    );
  if ((req.role === 'officer' || req.role === 'system') && !isNode(req.node))
    throw new CredentialRequestError(
      'node',
      'nodeInDirectory',
      `${req.node} is not a party of the directory`,
    );
  if (!isNodeBoundOfficerId(req.issuedBy))
    throw new CredentialRequestError(
      'as',
      'administratorId',
      'must name the administrator acting, as <organisation>.<name>',
    );
  const expiresAt = req.expiresAt ?? new Date(nowMs + DEFAULT_LIFETIME_MS[req.role]);
  if (Number.isNaN(expiresAt.getTime()) || expiresAt.getTime() <= nowMs)
    throw new CredentialRequestError('expires', 'expiryInFuture', 'must be a time in the future');
  if (expiresAt.getTime() - nowMs > MAX_LIFETIME_MS)
    throw new CredentialRequestError(
      'expires',
      'maxLifetime',
      `may be at most ${MAX_LIFETIME_MS / DAY_MS} days from now`,
    );
  return expiresAt;
}

/** Longest reason an administrator may give for a revocation, in characters. */
export const MAX_REASON_LENGTH = 500;

/**
 * Checks a revocation before anything is written: the administrator named as acting, and the reason, which
 * goes into the append-only trail as it is.
 * @throws CredentialRequestError naming the field and the rule
 */
export function checkRevokeRequest(by: string, reason: string): void {
  if (!isNodeBoundOfficerId(by))
    throw new CredentialRequestError(
      'as',
      'administratorId',
      'must name the administrator acting, as <organisation>.<name>',
    );
  if ([...reason].length > MAX_REASON_LENGTH)
    throw new CredentialRequestError('reason', 'maxLength', `may be at most ${MAX_REASON_LENGTH} characters`);
  if (reason !== '' && !hasNoControlCharacters(reason))
    throw new CredentialRequestError('reason', 'noControlCharacters', 'may not contain control characters');
}

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: DAY_MS };

/**
 * An expiry as an administrator writes it: a duration from now (`90d`, `12h`, `30m`) or an ISO 8601 time.
 * @throws CredentialRequestError (field `expires`) for anything else
 */
export function parseExpiry(text: string, nowMs: number): Date {
  const duration = /^(\d{1,5})([mhd])$/.exec(text.trim());
  if (duration) return new Date(nowMs + Number(duration[1]) * UNITS[duration[2]]);
  if (/^\d{4}-\d{2}-\d{2}(T[0-9:.]+(Z|[+-]\d{2}:\d{2}))?$/.test(text.trim())) {
    const at = new Date(text.trim());
    if (!Number.isNaN(at.getTime())) return at;
  }
  throw new CredentialRequestError(
    'expires',
    'expiryForm',
    'must be a duration such as 90d, 12h or 30m, or an ISO 8601 date or time',
  );
}

/** Why a presented credential is not accepted, as the caller is told (401). */
export function refusalOf(c: Credential, nowMs: number): string | undefined {
  if (c.revokedAt !== null) return 'the credential has been revoked';
  if (c.expiresAt.getTime() <= nowMs) return 'the credential has expired';
  return undefined;
}
