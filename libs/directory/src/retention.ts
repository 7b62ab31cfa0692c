import { PAYLOAD_KINDS, type PayloadType } from '#contracts';

/** The payload types a recipient keeps, and so must erase when their retention ends. */
export const KEPT_TYPES = (Object.keys(PAYLOAD_KINDS) as PayloadType[]).filter((t) => PAYLOAD_KINDS[t].kept);

/**
 * How long a recipient may keep an item of each type, in days from the item's creation, unless the item's
 * own `expiresAt` comes first (directory `retention:`).
 */
export interface RetentionPolicy {
  defaultDays: number;
  byType: Partial<Record<PayloadType, number>>;
}

/**
 * Three years, after which Europol must review whether personal data is still needed (Regulation (EU)
 * 2016/794, Art. 31), for every type the directory does not name.
 */
export const DEFAULT_RETENTION: RetentionPolicy = { defaultDays: 1_095, byType: {} };

export const MAX_RETENTION_DAYS = 36_500;

export const DAY_MS = 86_400_000;

/** The retention of a type in days. */
export function retentionDaysOf(policy: RetentionPolicy, type: PayloadType): number {
  return policy.byType[type] ?? policy.defaultDays;
}

/**
 * When a recipient must have erased an item: its own `expiresAt`, or its creation plus the retention of its
 * type, whichever comes first (an originator may ask for less than the directory allows, never for more).
 */
export function keptUntil(
  policy: RetentionPolicy,
  type: PayloadType,
  createdAtMs: number,
  expiresAtMs?: number,
): Date {
  const byRetention = createdAtMs + retentionDaysOf(policy, type) * DAY_MS;
  return new Date(expiresAtMs === undefined ? byRetention : Math.min(expiresAtMs, byRetention));
}

/** Checks the directory's `retention:` mapping (`default` and kept types to whole days), naming each problem. */
export function readRetention(raw: unknown, problems: string[]): RetentionPolicy {
  if (raw === undefined) return DEFAULT_RETENTION;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    problems.push('retention: must be a mapping of default and payload types to days');
    return DEFAULT_RETENTION;
  }
  const policy: RetentionPolicy = { defaultDays: DEFAULT_RETENTION.defaultDays, byType: {} };
  for (const [key, days] of Object.entries(raw as Record<string, unknown>)) {
    if (key !== 'default' && !KEPT_TYPES.includes(key as PayloadType)) {
      problems.push(
        `retention: "${key}" is not a type recipients keep; one of default, ${KEPT_TYPES.join(', ')}`,
      );
      continue;
    }
    if (typeof days !== 'number' || !Number.isInteger(days) || days < 1 || days > MAX_RETENTION_DAYS) {
      problems.push(`retention.${key}: must be a whole number of days from 1 to ${MAX_RETENTION_DAYS}`);
      continue;
    }
    if (key === 'default') policy.defaultDays = days;
    else policy.byType[key as PayloadType] = days;
  }
  return policy;
}
