import { describe, expect, it } from '@jest/globals';
import { isJsonContentType } from './json-only.js';

describe('isJsonContentType', () => {
  it.each([
    'application/json',
    'application/json; charset=utf-8',
    'application/json;charset=UTF-8',
    'Application/JSON; Charset="utf-8"',
    'application/json ;',
  ])('accepts %j', (header) => {
    expect(isJsonContentType(header)).toBe(true);
  });

  it.each([
    undefined,
    '',
    'application/x-www-form-urlencoded',
    'text/plain',
    'text/json',
    'application/jsonx',
    'application/json-patch+json',
    'application/json; charset=latin1',
    'application/json; charset=utf-16',
    'application/json; boundary=x',
    'application/json, text/plain',
    'multipart/form-data; boundary=x',
  ])('refuses %j', (header) => {
    expect(isJsonContentType(header)).toBe(false);
  });
});
