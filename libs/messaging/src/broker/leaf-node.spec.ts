import { describe, expect, it } from '@jest/globals';
import bcrypt from 'bcryptjs';
import { brokerUsers, renderNatsServerConfig, type NatsServerConfigOptions } from './nats-server-config.js';
import {
  LEAF_PASSWORD_BYTES,
  leafCredentials,
  leafLocalOnly,
  leafOutboxApi,
  leafRemoteUrl,
  renderLeafNodeConfig,
} from './leaf-node.js';

const users = brokerUsers(['emlo-ne', 'cp-it']);
const hub = (leafnodes?: NatsServerConfigOptions['leafnodes']) =>
  renderNatsServerConfig({ host: '127.0.0.1', port: 4222, storeDir: '/js', users, leafnodes });

describe('leaf node credentials', () => {
  it('makes a random URL-safe password of at least 24 bytes and a bcrypt hash of cost 10 or more that verifies', async () => {
    const a = await leafCredentials('emlo-ne');
    const b = await leafCredentials('emlo-ne');
    expect(a.user).toBe('emlo-ne');
    expect(a.password).not.toBe(b.password);
    expect(a.password).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(Buffer.from(a.password, 'base64url').length).toBe(LEAF_PASSWORD_BYTES);
    expect(LEAF_PASSWORD_BYTES).toBeGreaterThanOrEqual(24);
    expect(bcrypt.getRounds(a.passwordHash)).toBeGreaterThanOrEqual(10);
    expect(await bcrypt.compare(a.password, a.passwordHash)).toBe(true);
    expect(await bcrypt.compare(b.password, a.passwordHash)).toBe(false);
  });

  it('refuses a bcrypt cost below 10', async () => {
    await expect(leafCredentials('emlo-ne', 4)).rejects.toThrow(/cost/);
  });
});

describe("the hub's leaf node port", () => {
  it('leaves the configuration byte for byte as it was without leaf nodes', () => {
    const without = hub();
    expect(without).not.toMatch(/leafnodes/);
    expect(hub(undefined)).toBe(without);
  });

  it('binds each post to its own party account, with the bcrypt hash and never the password', async () => {
    const emlo = await leafCredentials('emlo-ne', 10);
    const cp = await leafCredentials('cp-it', 10);
    const text = hub({
      port: 7422,
      posts: [
        { post: 'emlo-ne', passwordHash: emlo.passwordHash },
        { post: 'cp-it', passwordHash: cp.passwordHash },
      ],
    });
    expect(text.startsWith(hub())).toBe(true);
    const block = text.slice(hub().length);
    expect(block).toMatch(/^leafnodes \{\n {2}host: "127\.0\.0\.1"\n {2}port: 7422\n/);
    expect(block).toContain(
      `{ user: "emlo-ne", password: ${JSON.stringify(emlo.passwordHash)}, account: "emlo-ne" }`,
    );
    expect(block).toContain(
      `{ user: "cp-it", password: ${JSON.stringify(cp.passwordHash)}, account: "cp-it" }`,
    );
    expect(text).not.toContain(emlo.password);
    expect(text).not.toContain(cp.password);
    expect(block).not.toMatch(/tls/);
  });

  it('listens where told, with TLS when given', () => {
    const text = hub({
      host: '0.0.0.0',
      port: 7422,
      posts: [],
      tls: { certFile: '/s.pem', keyFile: '/s-key.pem', caFile: '/ca.pem', verifyClients: true },
    });
    expect(text).toMatch(/^host: "127\.0\.0\.1"$/m);
    expect(text).toMatch(
      /leafnodes \{\n {2}host: "0\.0\.0\.0"\n {2}port: 7422\n {2}tls \{\n {4}cert_file: "\/s\.pem"\n {4}key_file: "\/s-key\.pem"\n {4}ca_file: "\/ca\.pem"\n {4}verify: true\n/,
    );
  });

  it('refuses a plain password, a core principal and a node that is not a party of the broker', () => {
    expect(() => hub({ port: 7422, posts: [{ post: 'emlo-ne', passwordHash: 'plain-password' }] })).toThrow(
      /not a bcrypt hash/,
    );
    const hash = bcrypt.hashSync('x', 4);
    expect(() => hub({ port: 7422, posts: [{ post: 'msx-router', passwordHash: hash }] })).toThrow(
      /not a party/,
    );
    expect(() => hub({ port: 7422, posts: [{ post: 'cp-gr', passwordHash: hash }] })).toThrow(/not a party/);
  });
});

describe("a post's own leaf node", () => {
  const emlo = users.find((u) => u.principal === 'emlo-ne')!;
  const render = (extra: Partial<Parameters<typeof renderLeafNodeConfig>[0]> = {}) =>
    renderLeafNodeConfig({
      post: 'emlo-ne',
      localPort: 4222,
      localNkey: emlo.publicKey,
      hubLeafUrl: 'nats-leaf://hub.example.org:7422',
      user: 'emlo-ne',
      password: 'pw_-0',
      ...extra,
    });

  it('links to the hub as the post, with no JetStream of its own, on loopback unless told', () => {
    const text = render();
    expect(text).toContain('url: "nats-leaf://emlo-ne:pw_-0@hub.example.org:7422"');
    expect(text).toMatch(/^host: "127\.0\.0\.1"$/m);
    expect(text).toMatch(/^port: 4222$/m);
    expect(text).not.toMatch(/jetstream/i);
    expect(text).not.toMatch(/tls/);
    expect(render({ localHost: '10.0.0.5' })).toMatch(/^host: "10\.0\.0\.5"$/m);
  });

  it("lets in only the post's NKey, with the post's own permissions", () => {
    const text = render();
    expect(text.match(/nkey: /g)).toHaveLength(1);
    expect(text).toContain(`nkey: ${emlo.publicKey}`);
    expect(text).toContain('"msx.submit.emlo-ne"');
    expect(text).toContain('"_INBOX_emlo-ne.>"');
    expect(text).toContain('"JS.MSX.API.CONSUMER.MSG.NEXT.MSX_INBOX_emlo-ne.inbox-emlo-ne"');
    expect(text).not.toMatch(/cp-it|"_INBOX\.>"|"msx\.deliver|"\$JS\.API\.>"|">"/);
  });

  it('takes TLS to the hub with the post client certificate', () => {
    const text = render({ tls: { caFile: '/ca.pem', certFile: '/emlo.pem', keyFile: '/emlo-key.pem' } });
    expect(text).toMatch(
      /tls \{\n\s+ca_file: "\/ca\.pem"\n\s+cert_file: "\/emlo\.pem"\n\s+key_file: "\/emlo-key\.pem"\n/,
    );
  });

  it('puts user and password into the URL encoded, and refuses a URL without host or port', () => {
    expect(leafRemoteUrl('tls://hub:7422', 'a b', 'p@ss/w:rd')).toBe('tls://a%20b:p%40ss%2Fw%3Ard@hub:7422');
    expect(() => leafRemoteUrl('nats-leaf://hub', 'u', 'p')).toThrow(/host and a port/);
  });

  it("keeps the post's outbox in a JetStream of its own, a domain apart, that the link never carries", () => {
    const text = render({ jetstream: { storeDir: '/var/lib/msx-post/jetstream' } });
    expect(text).toMatch(
      /^jetstream \{\n {2}domain: "msx-post-emlo-ne"\n {2}store_dir: "\/var\/lib\/msx-post\/jetstream"\n {2}max_file_store: 1073741824\n\}$/m,
    );
    expect(render({ jetstream: { storeDir: '/js', maxFileBytes: 5_000_000 } })).toMatch(
      /max_file_store: 5000000/,
    );
    expect(text).not.toMatch(/sync_interval/);
    expect(render({ jetstream: { storeDir: '/js', syncEveryWrite: true } })).toMatch(
      /max_file_store: 1073741824\n {2}sync_interval: always\n\}/,
    );
    // Its processes may put reports in the outbox and use its API, and nothing else of the leaf's JetStream.
    const publish = /publish: \{ allow: (\[.*\]) \}/.exec(text)![1];
    const allowed = JSON.parse(publish) as string[];
    expect(allowed).toContain('msx.outbox.emlo-ne');
    expect(allowed).toEqual(expect.arrayContaining(leafOutboxApi('emlo-ne')));
    expect(allowed.filter((s) => /DELETE|PURGE|\$JS\.API\.>|API\.STREAM\.>/.test(s))).toEqual([]);
    expect(
      allowed.filter(
        (s) => s.startsWith('$JS.') && !s.startsWith('$JS.ACK.') && !s.includes('MSX_POST_OUTBOX'),
      ),
    ).toEqual(['$JS.msx-post-emlo-ne.API.INFO', '$JS.API.INFO']);
    // Neither way across the link: the outbox subject and the leaf's JetStream API.
    const local = JSON.stringify(leafLocalOnly('emlo-ne')).replaceAll(',', ', ');
    expect(text).toContain(`deny_exports: ${local}`);
    expect(text).toContain(`deny_imports: ${local}`);
    expect(leafLocalOnly('emlo-ne')).toEqual(
      expect.arrayContaining(['msx.outbox.emlo-ne', '$JS.API.>', '$JS.msx-post-emlo-ne.API.>']),
    );
    // Without it, the leaf is what it was: no JetStream, no outbox rights, nothing denied on the link.
    expect(render()).not.toMatch(/outbox|deny_/);
  });
});
