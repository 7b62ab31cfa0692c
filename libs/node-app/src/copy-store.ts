import type { Envelope } from '#contracts';

/**
 * A node's copies of the items it received. Recalls and expiry erase them. Kept in the node's memory here:
 * a node's own records system is where a deployment keeps them durably; what MSX guarantees is that the
 * erasure is requested, performed on what the node holds, confirmed and audited.
 */
export class CopyStore {
  private readonly copies = new Map<string, Envelope>();

  keep(envelope: Envelope): void {
    this.copies.set(envelope.id, envelope);
  }

  get(messageId: string): Envelope | undefined {
    return this.copies.get(messageId);
  }

  /** Removes the copy; returns whether there was one. */
  erase(messageId: string): boolean {
    return this.copies.delete(messageId);
  }

  size(): number {
    return this.copies.size;
  }
}
