import { ROUTE_TOKENS, TYPE_TOKENS } from '#contracts';

/**
 * Topic patterns use NATS wildcards: `*` matches one token, a final `>` one or more.
 * `intel.vessel.*` matches `intel.vessel.central-med`; `intel.>` matches every intel topic.
 */
export function topicMatches(pattern: string, topic: string): boolean {
  const p = pattern.split('.');
  const t = topic.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return t.length > i;
    if (i >= t.length) return false;
    if (p[i] !== '*' && p[i] !== t[i]) return false;
  }
  return p.length === t.length;
}

const ROUTES: readonly string[] = Object.values(ROUTE_TOKENS);

/**
 * Why a subscription pattern can match no topic MSX publishes, or null when it can match one. Topics are
 * `intel.<type>.<route>`: a misspelt type or route would otherwise subscribe its party to nothing, silently.
 */
export function unreachablePattern(pattern: string): string | null {
  const tokens = pattern.split('.');
  const open = tokens.at(-1) === '>';
  if (open ? tokens.length > 3 : tokens.length !== 3) return 'topics have three tokens: intel.<type>.<route>';
  const [root, type, route] = tokens;
  const fits = (token: string | undefined, known: readonly string[]) =>
    token === undefined || token === '*' || token === '>' || known.includes(token);
  if (!fits(root, ['intel'])) return 'topics start with intel';
  if (!fits(type, TYPE_TOKENS)) return `"${type}" is not a type: one of ${TYPE_TOKENS.join(', ')}`;
  if (!fits(route, ROUTES)) return `"${route}" is not a route: one of ${ROUTES.join(', ')}`;
  return null;
}
