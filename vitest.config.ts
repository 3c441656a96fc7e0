import {defineConfig} from 'vitest/config'

// Two projects: fast unit tests run in parallel; integration tests share one real
// sandbox Asterisk (brought up by the global setup) and run one file at a time.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.{ts,tsx}'],
          environment: 'node',
          // Nothing here asserts timing; the fuzz and report files do real work, and on a
          // busy 2-core machine (CI, the integration project alongside) 5 s is too tight.
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/support/global-sandbox.ts'],
          // One file at a time: they share one Asterisk and timing-sensitive scenarios.
          pool: 'forks',
          poolOptions: {forks: {singleFork: true}},
          testTimeout: 180_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
})
