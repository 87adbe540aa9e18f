import { defineConfig } from 'vitest/config';

/**
 * Two groups, by file name, so that none is skipped silently:
 * - unit: needs neither a broker nor a cluster (the embedded broker, SQLite on a
 *   temp file and a loopback package index are fine) — `npm run test:unit`;
 * - integration: `*.int.test.ts` and the suites under test/cluster/ and test/image/,
 *   which need a Kafka broker, a real cluster, an image or an upstream toolchain —
 *   `npm run test:integration` starts what they need.
 * `npm test` runs both. A third, soak (`*.soak.test.ts`: the replicas kill run of thousands of
 * messages, many minutes), is not part of either: `npm run test:soak` runs it (vitest.soak.config.ts).
 */
const INTEGRATION = ['test/**/*.int.test.ts', 'test/cluster/**/*.test.ts', 'test/image/**/*.test.ts'];
const SOAK = ['test/**/*.soak.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Under scripts/node-versions.mjs: fails a test file that runs on another node than the one asked for.
    setupFiles: ['test/support/node-guard.ts'],
    // Two cores on the CI machine: more workers only fight over them.
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: [...INTEGRATION, ...SOAK] } },
      { extends: true, test: { name: 'integration', include: INTEGRATION } },
    ],
  },
});
