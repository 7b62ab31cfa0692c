import type { NatsConnection } from '@nats-io/transport-node';
import { encodeAuditStatus, type AuditStatus } from '#contracts';
import { Subjects } from '#messaging';

/** Publishes one heartbeat on core NATS (fire and forget: a missed heartbeat is what gates detect). */
export function publishAuditStatus(nc: NatsConnection, status: AuditStatus): void {
  nc.publish(Subjects.auditStatus, encodeAuditStatus(status));
}
