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
