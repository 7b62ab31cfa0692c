import type { NatsConnection } from '@nats-io/transport-node';
import { Subjects } from '#messaging';

/** What the audit service says about itself on `msx.status.audit` (heartbeat) and `msx.status.audit.request`. */
export interface AuditStatus {
  /** The database answered the service's last probe. */
  databaseReachable: boolean;
  /** RFC 3339 time of the last committed audit row; null when the trail is empty or unknown. */
  lastCommitAt: string | null;
  /** RFC 3339 time the status was taken, by the audit service's clock (informative only). */
  at: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeAuditStatus(status: AuditStatus): Uint8Array {
  return encoder.encode(JSON.stringify(status));
}

/** Parses a status message; undefined for anything that is not one (it is then ignored, never trusted). */
export function decodeAuditStatus(data: Uint8Array): AuditStatus | undefined {
  try {
    const s = JSON.parse(decoder.decode(data)) as Partial<AuditStatus>;
    if (typeof s.databaseReachable !== 'boolean' || typeof s.at !== 'string') return undefined;
    const lastCommitAt = typeof s.lastCommitAt === 'string' ? s.lastCommitAt : null;
    return { databaseReachable: s.databaseReachable, lastCommitAt, at: s.at };
  } catch {
    return undefined;
  }
}

/** Publishes one heartbeat on core NATS (fire and forget: a missed heartbeat is what gates detect). */
export function publishAuditStatus(nc: NatsConnection, status: AuditStatus): void {
  nc.publish(Subjects.auditStatus, encodeAuditStatus(status));
}
