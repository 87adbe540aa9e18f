import { defineConfig } from 'vitest/config';

/**
 * The soak tests (`*.soak.test.ts`), apart from `npm test`: `npm run test:soak` starts Kafka and the
 * cluster and runs them (.ci/run does, once, after the suite). Today: the replicas kill run (test/investigate/replicas.soak.test.ts).
 */
export default defineConfig({
  test: {
    include: ['test/**/*.soak.test.ts'],
    testTimeout: 1_500_000,
    hookTimeout: 300_000,
    pool: 'forks',
    maxWorkers: 1,
  },
});
