import type { FastifyInstance, FastifyRequest } from 'fastify';
import { MsxError } from '#contracts';

/** The one media type the gateway reads a request body in. */
export const ACCEPTED_MEDIA_TYPE = 'application/json';

/**
 * True for `application/json`, alone or with `charset=utf-8` (names and values in any case, the value
 * optionally quoted); false for anything else, including no content type at all.
 */
export function isJsonContentType(header: string | undefined): boolean {
  if (header === undefined) return false;
  const [type, ...params] = header.split(';').map((part) => part.trim().toLowerCase());
  if (type !== ACCEPTED_MEDIA_TYPE) return false;
  return params.every((p) => p === '' || /^charset\s*=\s*(?:utf-8|"utf-8")$/.test(p));
}

/** True when the request carries a body Fastify would read. */
export function hasBody(req: FastifyRequest): boolean {
  if (req.method === 'GET' || req.method === 'HEAD') return false;
  const length = req.headers['content-length'];
  return (
    req.headers['transfer-encoding'] !== undefined ||
    req.headers['content-type'] !== undefined ||
    (length !== undefined && length !== '0')
  );
}

/**
 * Reads request bodies only as JSON. Any other body (form-urlencoded, text, none named) is refused with
 * 415 before a byte of it is parsed, so no other parser can turn caller text into field names, and the
 * refusal is audited through the error filter without the body. The parsers that NestJS's Fastify adapter
 * and Fastify register for other types are removed as well, so that nothing else could ever read one.
 */
export function installJsonOnly(fastify: FastifyInstance): void {
  for (const type of ['application/x-www-form-urlencoded', 'text/plain']) {
    if (fastify.hasContentTypeParser(type)) fastify.removeContentTypeParser(type);
  }
  // preParsing: after every onRequest hook (a stranger is refused 401 first), before a byte is read.
  fastify.addHook('preParsing', (req, _reply, payload, done) => {
    if (hasBody(req) && !isJsonContentType(req.headers['content-type'])) {
      done(
        new MsxError(
          'GATEWAY.UNSUPPORTED_MEDIA_TYPE',
          `send the body as ${ACCEPTED_MEDIA_TYPE} (charset utf-8, if one is named)`,
        ),
      );
      return;
    }
    done(null, payload);
  });
}
