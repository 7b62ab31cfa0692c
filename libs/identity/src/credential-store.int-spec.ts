import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { AuditRepository, openAuditStore, verifyAuditChain } from '#audit-store';
import { createTestSchema, type TestSchema } from '#testing';
import { tokenDigest } from './credential.js';
import {
  CREDENTIAL_ISSUED,
  CREDENTIAL_REVOKED,
  CredentialStore,
  defaultCredentialSchema,
} from './credential-store.js';

const isNode = (id: string) => ['cp-it', 'emlo-ne'].includes(id);

/** Credentials and their audit rows, on real PostgreSQL: never one without the other, never a token stored. */
describe('CredentialStore', () => {
  let db: TestSchema;
  let auditDs: DataSource;
  let store: CredentialStore;
  let audit: AuditRepository;

  beforeAll(async () => {
    db = await createTestSchema('credentials');
    auditDs = await openAuditStore({ url: db.url, schema: db.schema });
    audit = new AuditRepository(auditDs);
    store = await CredentialStore.open({ url: db.url, schema: defaultCredentialSchema(db.schema) });
  });

  afterAll(async () => {
    await store?.close();
    await auditDs?.destroy();
    await db?.drop();
  });

  const adminRows = () =>
    db.query<{
      operation: string;
      rule: string;
      actor_node: string;
      actor_person: string;
      counterpart_node: string;
      justification: string | null;
      detail: Record<string, string>;
    }>(
      `SELECT operation, rule, actor_node, actor_person, counterpart_node, justification, detail
         FROM "${db.schema}".audit_entry WHERE operation = 'administered' ORDER BY seq`,
    );

  it('issues a credential with its audit row, and stores only the digest of its token', async () => {
    const { credential, token } = await store.issue(
      { person: 'cp-it.officer-3', node: 'cp-it', role: 'officer', issuedBy: 'msx.admin-1' },
      audit,
      isNode,
    );
    expect(await store.byDigest(tokenDigest(token))).toEqual(credential);
    expect(await store.byDigest(tokenDigest(`${token}x`))).toBeUndefined();
    expect((await adminRows()).at(-1)).toEqual({
      operation: 'administered',
      rule: CREDENTIAL_ISSUED,
      actor_node: 'msx-admin',
      actor_person: 'msx.admin-1',
      counterpart_node: 'cp-it',
      justification: null,
      detail: {
        credential: credential.id,
        person: 'cp-it.officer-3',
        role: 'officer',
        expiresAt: credential.expiresAt.toISOString(),
      },
    });
    // Nowhere in either schema, in any column, as text or bytes.
    const everything = await db.query<{ text: string }>(
      `SELECT string_agg(t::text, ' ') AS text FROM (
         SELECT c::text AS t FROM "${store.schema}".credential c
         UNION ALL SELECT encode(token_sha256, 'escape') FROM "${store.schema}".credential
         UNION ALL SELECT a::text FROM "${db.schema}".audit_entry a) x`,
    );
    expect(everything[0].text).toContain(credential.id);
    expect(everything[0].text).not.toContain(token);
    expect(everything[0].text).not.toContain(token.slice(4));
  });

  it('revokes a credential once, with its audit row and reason; a second revocation is refused and adds nothing', async () => {
    const { credential } = await store.issue(
      { person: 'emlo-ne.officer-17', node: 'emlo-ne', role: 'officer', issuedBy: 'msx.admin-1' },
      audit,
      isNode,
    );
    const revoked = await store.revoke(credential.id, 'msx.admin-2', audit, 'left the post');
    expect(revoked).toMatchObject({ id: credential.id, revokedBy: 'msx.admin-2' });
    expect((await store.list('emlo-ne'))[0]).toMatchObject({ id: credential.id, revokedBy: 'msx.admin-2' });
    const rows = await adminRows();
    expect(rows.at(-1)).toMatchObject({
      rule: CREDENTIAL_REVOKED,
      actor_person: 'msx.admin-2',
      justification: 'left the post',
      detail: { credential: credential.id },
    });
    await expect(store.revoke(credential.id, 'msx.admin-2', audit)).rejects.toThrow(/revoked already/);
    expect(await adminRows()).toHaveLength(rows.length);
    expect(await store.revoke('0190d5a0-0000-7000-8000-000000000000', 'msx.admin-2', audit)).toBeUndefined();
    expect(await store.revoke("x' OR 1=1 --", 'msx.admin-2', audit)).toBeUndefined();
  });

  it('writes no credential when its audit row cannot be written, and none for a request that breaks a rule', async () => {
    const before = (await store.list()).length;
    const elsewhere = await openAuditStore({ url: db.url, schema: `${db.schema}_gone` });
    const gone = new AuditRepository(elsewhere);
    await elsewhere.query(`DROP TABLE "${db.schema}_gone".audit_entry CASCADE`);
    await expect(
      store.issue(
        { person: 'cp-it.officer-9', node: 'cp-it', role: 'officer', issuedBy: 'msx.admin-1' },
        gone,
        isNode,
      ),
    ).rejects.toThrow();
    await elsewhere.destroy();
    await expect(
      store.issue(
        { person: 'cp-it.officer-9', node: 'cp-it', role: 'root' as never, issuedBy: 'msx.admin-1' },
        audit,
        isNode,
      ),
    ).rejects.toThrow(/role/);
    expect(await store.list()).toHaveLength(before);
  });

  it('leaves a chain that verifies, administrators’ rows included', async () => {
    const report = await verifyAuditChain({ url: db.url, schema: db.schema }, []);
    expect(report).toMatchObject({ ok: true });
    expect(report.rowsVerified).toBe((await adminRows()).length);
  });
});
