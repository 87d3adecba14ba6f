import { configDefaults, defineConfig } from 'vitest/config';
import { ALL_TESTS, BUILT_FOR_THIS_RUN, INTEGRATION_TESTS, SYSTEM_TESTS } from './test/projects.js';

// `npm test` runs every project; `npx vitest run --project unit` runs the pure tests in seconds,
// without a database and without building dist/ (see test/projects.ts for what goes where).
export default defineConfig({
  test: {
    // Tests spawn real processes and talk to real databases; a machine with two cores
    // is slower than a laptop, so give them room but never assert on wall-clock time.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two files at once on this 2-core machine (vitest's default would be one): most tests wait on
    // processes, sockets and databases, not on the CPU. Measured from a clean clone: `.ci/run`
    // took 7 min 17 s with two (1,124 tests passed), against about 15 min with one.
    maxWorkers: 2,
    reporters: ['default', './test/summary-reporter.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ALL_TESTS,
          exclude: [...configDefaults.exclude, ...SYSTEM_TESTS, ...INTEGRATION_TESTS],
        },
      },
      {
        extends: true,
        test: { name: 'integration', include: INTEGRATION_TESTS },
      },
      {
        extends: true,
        test: {
          name: 'system',
          include: SYSTEM_TESTS,
          globalSetup: ['./test/global-setup.ts'],
          env: { [BUILT_FOR_THIS_RUN]: '1' },
        },
      },
    ],
  },
});
