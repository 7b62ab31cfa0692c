import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createTestSchema, type TestSchema } from '#testing';
import { CredentialStore, defaultCredentialSchema, tokenDigest } from '#identity';

const SCRIPT = 'dist/scripts/admin.js';

/**
 * `npm run admin` as an administrator uses it (the built command, as `npm test` builds it first): the token
 * printed once on standard output, every act in the audit trail, and a bad request refused naming the
 * field before anything is written.
 */
describe('npm run admin', () => {
  let db: TestSchema;

  beforeAll(async () => {
    if (!existsSync(SCRIPT)) throw new Error(`build first: ${SCRIPT} is missing (npm test builds it)`);
    db = await createTestSchema('admin_command');
  });

  afterAll(async () => {
    await db?.drop();
  });

  const admin = (...args: string[]) => {
    const r = spawnSync(process.execPath, [SCRIPT, ...args], {
      env: { ...process.env, MSX_DATABASE_URL: db.url, MSX_DATABASE_SCHEMA: db.schema },
      encoding: 'utf8',
      timeout: 30_000,
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const administered = () =>
    db.query<{ rule: string; actor_person: string }>(
      `SELECT rule, actor_person FROM "${db.schema}".audit_entry WHERE operation = 'administered' ORDER BY seq`,
    );

  it('issues a credential, printing its token once, lists it, and revokes it, each act in the trail', async () => {
    const issued = admin(
      'issue',
      '--person',
      'cp-it.officer-3',
      '--role',
      'officer',
      '--as',
      'msx.admin-1',
      '--expires',
      '30d',
    );
    expect(issued).toMatchObject({ status: 0 });
    expect(issued.stdout).toMatch(/^msx_[A-Za-z0-9_-]{43}\n$/);
    expect(issued.stderr).toMatch(
      /issued officer credential [0-9a-f-]{36} to cp-it\.officer-3 \(node cp-it\), valid until /,
    );
    expect(issued.stderr).not.toContain(issued.stdout.trim());
    const token = issued.stdout.trim();

    const store = await CredentialStore.open({ url: db.url, schema: defaultCredentialSchema(db.schema) });
    const credential = await store.byDigest(tokenDigest(token));
    await store.close();
    expect(credential).toMatchObject({
      person: 'cp-it.officer-3',
      node: 'cp-it',
      role: 'officer',
      issuedBy: 'msx.admin-1',
    });
    const days = (credential!.expiresAt.getTime() - credential!.issuedAt.getTime()) / 86_400_000;
    expect(days).toBe(30);

    const listed = admin('list');
    expect(listed.status).toBe(0);
    expect(listed.stdout).toContain(`${credential!.id}  officer  cp-it.officer-3  node cp-it  valid until`);
    expect(listed.stdout).not.toContain(token);

    const revoked = admin(
      'revoke',
      '--id',
      credential!.id,
      '--as',
      'msx.admin-2',
      '--reason',
      'left the post',
    );
    expect(revoked).toMatchObject({ status: 0, stdout: '' });
    expect(admin('list', '--node', 'cp-it').stdout).toContain('revoked');
    expect(await administered()).toEqual([
      { rule: 'ADMIN.CREDENTIAL_ISSUED', actor_person: 'msx.admin-1' },
      { rule: 'ADMIN.CREDENTIAL_REVOKED', actor_person: 'msx.admin-2' },
    ]);
  });

  it.each([
    [
      ['issue', '--person', 'cp-it.officer-4', '--role', 'root', '--as', 'msx.admin-1'],
      'role: must be one of',
    ],
    [['issue', '--person', 'cp-it.officer-4', '--role', 'officer'], 'as: is required'],
    [
      ['issue', '--person', 'cp-it.officer-4', '--role', 'officer', '--as', 'msx.admin-1', '--expires', '1y'],
      'expires: must be a duration',
    ],
    [
      [
        'issue',
        '--person',
        'cp-it.officer-4',
        '--role',
        'officer',
        '--as',
        'msx.admin-1',
        '--expires',
        '500d',
      ],
      'expires: may be at most 400 days',
    ],
    [
      ['issue', '--person', 'cp-xx.officer-4', '--role', 'officer', '--as', 'msx.admin-1'],
      'node: cp-xx is not a party of the directory',
    ],
    [
      ['issue', '--person', 'Mario Rossi', '--role', 'officer', '--as', 'msx.admin-1', '--node', 'cp-it'],
      'person: must be cp-it.<name>',
    ],
    [['revoke', '--id', '0190d5a0-0000-7000-8000-000000000000', '--as', 'msx.admin-1'], 'id: no credential'],
    [['grant', '--person', 'x'], 'unknown command grant'],
    [
      ['revoke', '--id', '0190d5a0-0000-7000-8000-000000000000', '--as', ''],
      'as: must name the administrator',
    ],
    [
      [
        'revoke',
        '--id',
        '0190d5a0-0000-7000-8000-000000000000',
        '--as',
        'msx.admin-1',
        '--reason',
        'a\u001b[2J',
      ],
      'reason: may not contain control characters',
    ],
  ])('refuses %j naming the field, and writes nothing', async (args, message) => {
    const before = await administered();
    const r = admin(...args);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(message);
    expect(await administered()).toEqual(before);
  });
});
