/**
 * Entry of the .vsix check (npm run test:vsix): loaded as extensionTestsPath while Breakwater is INSTALLED from the
 * packaged .vsix (no extensionDevelopmentPath). Runs the `*.vsix.js` files beside it.
 */
import { runSuite } from '../support/runSuite';

export function run(): Promise<void> {
  return runSuite({ dir: __dirname, suffix: '.vsix.js' });
}
