import {mkdirSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {Worker} from 'node:worker_threads'
import Database from 'better-sqlite3'
import {build} from 'esbuild'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {MIGRATIONS} from '../../src/engine/store/migrations.js'

// Several processes opening a fresh store at the same moment (two commands in one script,
// CI's `agent login nope & agent login 王芳`): each ran the migrations it had seen missing,
// and the second ALTER TABLE ended as "callctl bug: duplicate column name" (exit 70). Each
// opener here is a worker thread with its own SQLite connection, released together by a
// shared barrier; the stores are bundled (esbuild) since a worker cannot load TypeScript.

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const OPENERS = 6
const ROUNDS = 8

const ENTRY = `
import {workerData, parentPort} from 'node:worker_threads'
import {SqliteStore} from './src/engine/store/sqlite-store.ts'
const gate = new Int32Array(workerData.gate)
Atomics.add(gate, 1, 1)
Atomics.wait(gate, 0, 0)
try {
  const store = new SqliteStore(workerData.db)
  await store.close()
  parentPort.postMessage({ok: true})
} catch (err) {
  parentPort.postMessage({ok: false, error: String(err && err.message || err)})
}
`

let dir: string
let bundle: string

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'callctl-migrate-race-'))
  // Beside node_modules, so the bundle finds better-sqlite3.
  const cache = join(ROOT, 'node_modules', '.cache', 'callctl-test')
  mkdirSync(cache, {recursive: true})
  bundle = join(cache, `migrate-race-${process.pid}.mjs`)
  await build({stdin: {contents: ENTRY, resolveDir: ROOT, loader: 'ts'}, bundle: true, platform: 'node', format: 'esm', target: 'node20', external: ['better-sqlite3'], outfile: bundle, logLevel: 'silent'})
}, 60_000)

afterAll(() => {
  rmSync(dir, {recursive: true, force: true})
  rmSync(bundle, {force: true})
})

async function openTogether(db: string): Promise<{ok: boolean; error?: string}[]> {
  const gate = new SharedArrayBuffer(8)
  const flags = new Int32Array(gate)
  const workers = Array.from({length: OPENERS}, () => new Worker(bundle, {workerData: {db, gate}}))
  const results = workers.map(
    (w) =>
      new Promise<{ok: boolean; error?: string}>((resolve, reject) => {
        w.once('message', resolve)
        w.once('error', reject)
        w.once('exit', (code) => reject(new Error(`an opener stopped (exit ${code})`)))
      }),
  )
  while (Atomics.load(flags, 1) < OPENERS) await new Promise((r) => setTimeout(r, 2))
  Atomics.store(flags, 0, 1)
  Atomics.notify(flags, 0)
  try {
    return await Promise.all(results)
  } finally {
    await Promise.all(workers.map((w) => w.terminate()))
  }
}

describe('a fresh SQLite store opened by several processes at once', () => {
  it(`migrates once: ${OPENERS} openers at the same moment, ${ROUNDS} fresh stores, none fails`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const db = join(dir, `fresh-${round}.db`)
      const results = await openTogether(db)
      expect(results.filter((r) => !r.ok).map((r) => r.error)).toEqual([])
      const check = new Database(db, {readonly: true})
      try {
        const applied = check.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as {version: number}[]
        expect(applied.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version).sort((a, b) => a - b))
      } finally {
        check.close()
      }
    }
  }, 60_000)
})
