import {defineConfig} from 'vitest/config'

// The integration files run in two lanes at once, each on a sandbox Asterisk of its own
// (its own global setup, port, instance directory), one file at a time per lane. Most of
// an integration file's time is waiting (ring timeouts, an Asterisk away, a database
// restarted), so two lanes on 2 cores cut the suite's wall time without two files ever
// sharing an Asterisk. Vitest 3 has no per-project worker limit (a project's maxForks is
// ignored: two files of one lane ran at once on one Asterisk), but each pool's single
// mode is per pool: lane a is the single fork, lane b the single worker thread. Lane a
// shares the fork pool with the unit files and starts when they are done. Lane b is the
// list below, chosen to balance the lanes' measured times (unit files counted in lane a); a file there must not
// need what a worker thread cannot do (process.umask(mask), process.chdir); every other
// file, new ones too, runs in lane a.
const LANE_B = [
  'misuse',
  'json-contract',
  'hostile-output',
  'engine-restart',
  'announcements',
  'report-figures',
  'sip-presence',
  'cli-live',
  'overload',
  'dashboard-tmux',
  'api-security',
  'sip-kit',
  'db-migrate-cli',
  'queue-log',
  'cli-bad-input',
  'call-control',
  'pg-engine',
  'store-faults',
  'sip-outbound',
  'system-ended',
  'demo-stop',
  'store-path-errors',
  'store-token',
  'admin-races',
  'pg-socket-url',
].map((f) => `test/integration/${f}.test.ts`)

const integration = {
  environment: 'node',
  globalSetup: ['test/support/global-sandbox.ts'],
  testTimeout: 180_000,
  hookTimeout: 300_000,
}

export default defineConfig({
  test: {
    // The two lanes and the unit files: without this, vitest's default on 2 cores (one
    // worker) would run the lanes one after the other.
    maxWorkers: 3,
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
          // A throwaway PostgreSQL cluster starts in 0.7 s alone, and took over 10 s (the
          // default) with both integration lanes and the other unit files running.
          hookTimeout: 60_000,
        },
      },
      {test: {name: 'integration', include: ['test/integration/**/*.test.ts'], exclude: LANE_B, pool: 'forks', poolOptions: {forks: {singleFork: true}}, ...integration}},
      {test: {name: 'integration-b', include: LANE_B, pool: 'threads', poolOptions: {threads: {singleThread: true}}, ...integration}},
    ],
  },
})
