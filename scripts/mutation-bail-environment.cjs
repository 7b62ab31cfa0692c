/**
 * The jest environment of mutation runs: Node's, stopping a run at its first failure. One failing test
 * kills the mutant; the tests after it would only cost time (Stryker cannot bail a jest run by itself), and
 * a mutant that makes a hook or a test hang ends at that test's timeout instead of at Stryker's, without
 * its worker being restarted. Stryker wraps this environment for its per-test coverage.
 */
const { TestEnvironment } = require('jest-environment-node');

class BailEnvironment extends TestEnvironment {
  #failed = false;

  async handleTestEvent(event) {
    if (event.name === 'test_fn_failure' || event.name === 'hook_failure') this.#failed = true;
    // jest-circus announces a test before it decides whether to skip it.
    if (event.name === 'test_start' && this.#failed) event.test.mode = 'skip';
  }
}

module.exports = BailEnvironment;
