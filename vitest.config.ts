import {defineConfig} from 'vitest/config'

// The integration files run in two lanes at once, each on a sandbox Asterisk of its own
// (its own global setup, port, instance directory), one file at a time per lane. Most of
// an integration file's time is waiting (ring timeouts, an Asterisk away, a database
// restarted), so two lanes on 2 cores cut the suite's wall time by about 40 % without two
// files ever sharing an Asterisk. Lane b is the list below, chosen to balance the lanes'
// measured times; every other file (new ones too) runs in lane a.
const LANE_B = [
  'standby-failover',
  'json-contract',
  'overflow-callback',
  'announcements',
  'boxes-engine',
  'ivr',
  'cli-live',
  'sip-calls',
  'cli-conventions',
  'proxy-kit',
  'api-security',
  'connect-callers',
  'db-migrate-cli',
  'kill-every-state',
  'call-control',
  'pg-engine',
  'store-faults',
  'screen-pop',
  'system-ended',
  'logout-final',
  'asterisk-restart',
].map((f) => `test/integration/${f}.test.ts`)

const integration = {
  environment: 'node',
  globalSetup: ['test/support/global-sandbox.ts'],
  pool: 'forks' as const,
  // One file at a time per lane: a lane's files share its Asterisk and timing-sensitive scenarios.
  poolOptions: {forks: {maxForks: 1, minForks: 1}},
  testTimeout: 180_000,
  hookTimeout: 300_000,
}

export default defineConfig({
  test: {
    // Both lanes and the unit files share the 2 workers: without this, vitest's default
    // on 2 cores (one worker) would run the lanes one after the other.
    maxWorkers: 2,
    minWorkers: 1,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.{ts,tsx}'],
          environment: 'node',
          // Nothing here asserts timing; the fuzz and report files do real work, and on a
          // busy 2-core machine (CI, the integration lanes alongside) 5 s is too tight.
          testTimeout: 30_000,
        },
      },
      {test: {name: 'integration', include: ['test/integration/**/*.test.ts'], exclude: LANE_B, ...integration}},
      {test: {name: 'integration-b', include: LANE_B, ...integration}},
    ],
  },
})
