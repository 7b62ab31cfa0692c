import { describe, expect, it } from '@jest/globals';
import { type ConfigError, int, loadConfig, nodeId, nodeTokens, url } from './config.js';
import { databaseSpec, natsSpec, opsSpec } from './common.js';

describe('loadConfig', () => {
  it('applies defaults when nothing is set', () => {
    const c = loadConfig({ ...natsSpec, ...databaseSpec }, {});
    expect(c.MSX_NATS_URL).toBe('nats://127.0.0.1:4222');
    expect(c.MSX_STREAM_REPLICAS).toBe(1);
    expect(c.MSX_DATABASE_SCHEMA).toBe('msx');
  });

  it('names every bad variable at once', () => {
    const env = { MSX_NATS_URL: 'http://x', MSX_STREAM_REPLICAS: 'three', MSX_NODE_ID: 'CP IT' };
    let error: ConfigError | undefined;
    try {
      loadConfig({ ...natsSpec, MSX_NODE_ID: nodeId() }, env);
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error?.code).toBe('CONFIG.INVALID');
    expect(error?.problems).toEqual([
      'MSX_NATS_URL: must use scheme nats or tls, got http:',
      'MSX_STREAM_REPLICAS: must be an integer from 1 to 5, got "three"',
      'MSX_NODE_ID: must be a node id ([a-z0-9] words joined by -), got "CP IT"',
    ]);
  });

  it('does not echo the password of a malformed database URL', () => {
    expect(() => url(['postgres'])('postgres//admin:s3cret@db', 'X')).toThrow(/must be a URL/);
    expect(() => url(['postgres'])('postgres//admin:s3cret@db', 'X')).not.toThrow(/s3cret/);
  });

  it('takes a NATS cluster as comma-separated servers, checking each and naming the one that is wrong', () => {
    const servers =
      'tls://nats-1.msx.example:4222, tls://nats-2.msx.example:4222,tls://nats-3.msx.example:4222';
    expect(loadConfig(natsSpec, { MSX_NATS_URL: servers }).MSX_NATS_URL).toBe(
      'tls://nats-1.msx.example:4222,tls://nats-2.msx.example:4222,tls://nats-3.msx.example:4222',
    );
    expect(() =>
      loadConfig(natsSpec, { MSX_NATS_URL: 'tls://nats-1.msx.example:4222,http://nats-2.msx.example' }),
    ).toThrow('MSX_NATS_URL: entry 2 must use scheme nats or tls, got http:');
    expect(() => loadConfig(natsSpec, { MSX_NATS_URL: 'tls://nats-1.msx.example:4222,' })).toThrow(
      /MSX_NATS_URL: entry 2 must be a URL/,
    );
    // Where no list is allowed, a list is not one URL.
    expect(() => url(['nats'])('nats://a:4222,nats://b:4222', 'X')).toThrow(/must be a URL/);
  });

  it('runs no operations listener unless a port is named, and listens on loopback by default', () => {
    expect(loadConfig(opsSpec, {})).toEqual({ MSX_OPS_HOST: '127.0.0.1', MSX_OPS_PORT: undefined });
    expect(loadConfig(opsSpec, { MSX_OPS_HOST: '::1', MSX_OPS_PORT: '9464' })).toEqual({
      MSX_OPS_HOST: '::1',
      MSX_OPS_PORT: 9464,
    });
    expect(loadConfig(opsSpec, { MSX_OPS_HOST: 'ops.msx.internal' }).MSX_OPS_HOST).toBe('ops.msx.internal');
  });

  it('names a bad operations port or host', () => {
    let error: ConfigError | undefined;
    try {
      loadConfig(opsSpec, { MSX_OPS_HOST: 'http://0.0.0.0', MSX_OPS_PORT: '0' });
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error?.problems).toEqual([
      'MSX_OPS_HOST: must be an IP address or a host name, got "http://0.0.0.0"',
      'MSX_OPS_PORT: must be an integer from 1 to 65535, got "0"',
    ]);
  });

  it('requires a value without default', () => {
    expect(() => int(undefined, 0, 10)(undefined, 'N')).toThrow('is required');
  });

  it('reads node tokens and refuses short or repeated ones without echoing them', () => {
    const long = 'x'.repeat(32);
    expect([...nodeTokens()(`emlo-ne=${long},cp-it=${long}y`, 'T')]).toEqual([
      ['emlo-ne', long],
      ['cp-it', `${long}y`],
    ]);
    expect(() => nodeTokens()('emlo-ne=short', 'T')).toThrow(
      'token for emlo-ne must be at least 32 characters',
    );
    expect(() => nodeTokens()('emlo-ne=short', 'T')).not.toThrow(/short/);
    expect(() => nodeTokens()(`a=${long},a=${long}`, 'T')).toThrow('node a appears twice');
    expect(() => nodeTokens()(`=${long}`, 'T')).toThrow('entry 1 must be node=token');
  });
});
