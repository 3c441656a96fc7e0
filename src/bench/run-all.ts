import {spawnSync} from 'node:child_process'
import {readdirSync} from 'node:fs'
import {basename, dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

// Runs every benchmark in this folder, each in its own process so one bench's heap does
// not show in another's RSS. Arguments (e.g. --json) are passed on. Helper modules are
// listed here so they are not run as benchmarks.

const HELPERS = new Set(['run-all', 'naive-router', 'routing-scenario', 'prng'])
// Not run here: load needs root and a sandbox Asterisk and takes minutes (npm run bench:load).
const SEPARATE = new Set(['load'])

const here = dirname(fileURLToPath(import.meta.url))
const benches = readdirSync(here)
  .filter((f) => f.endsWith('.js') && !HELPERS.has(basename(f, '.js')) && !SEPARATE.has(basename(f, '.js')))
  .sort()

let failed = 0
for (const file of benches) {
  if (!process.argv.includes('--json')) console.log(`== ${basename(file, '.js')} ==`)
  const r = spawnSync(process.execPath, [join(here, file), ...process.argv.slice(2)], {stdio: 'inherit'})
  if (r.status !== 0) {
    failed++
    console.error(`bench ${basename(file, '.js')} failed (exit ${r.status ?? r.signal})`)
  }
}
process.exitCode = failed === 0 ? 0 : 1
