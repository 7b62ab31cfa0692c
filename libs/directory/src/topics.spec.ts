import { describe, expect, it } from '@jest/globals';
import { topicMatches } from './topics.js';

describe('topicMatches', () => {
  it.each([
    ['intel.route.central-med', 'intel.route.central-med', true],
    ['intel.*.central-med', 'intel.vessel.central-med', true],
    ['intel.*.central-med', 'intel.vessel.eastern-med', false],
    ['intel.>', 'intel.vessel.eastern-med', true],
    ['intel.route.>', 'intel.route', false],
    ['intel.route', 'intel.route.central-med', false],
    ['intel.*', 'intel.route.central-med', false],
    ['>', 'intel.route.central-med', true],
  ])('%s against %s is %s', (pattern, topic, expected) => {
    expect(topicMatches(pattern, topic)).toBe(expected);
  });
});
