import {Worker} from 'node:worker_threads'
import {isPostgresUrl} from '../store/database-url.js'
import {sqliteUserError} from '../store/sqlite-errors.js'
import {SqliteStore} from '../store/sqlite-store.js'
import {isUserError, UserError} from '../util/errors.js'
import {pgReport} from './pg-report.js'
import {reportFrom} from './report-from.js'
import type {Sink} from './report-output.js'
import type {ReportJob} from './report-job.js'
import type {ReportName} from './report-types.js'

export type {ReportJob} from './report-job.js'

/** Builds the report from the store and streams it into the sink; returns the rows written. */
export async function produceReport(job: ReportJob, sink: Sink, progress?: (rows: number) => void): Promise<number> {
  // Its inputs copied into a local SQLite first, then made by the same code (pg-report-copy.ts says why).
  if (isPostgresUrl(job.database)) return pgReport(job.database, job, sink, progress)
  let store: SqliteStore | null = null
  try {
    store = new SqliteStore(job.database, {readonly: true})
    return await reportFrom(store.db, job, sink, progress)
  } catch (err) {
    // A damaged or foreign file is the user's to fix, not a bug: one line, exit 2 for the
    // conditions every command names alike (sqlite-errors.ts), exit 1 for the rest.
    const condition = sqliteUserError(err, job.database)
    if (condition) throw condition
    const code = (err as {code?: unknown}).code
    if (typeof code === 'string' && code.startsWith('SQLITE_')) {
      throw new UserError(`Cannot read the database ${job.database}: ${(err as Error).message}`, {suggestion: 'Check that it is the callctl database (config database, CALLCTL_DB).', exitCode: 1, code: 'database'})
    }
    throw err
  } finally {
    await store?.close()
  }
}

// The report runs in a worker thread with a bounded heap: the garbage a long scan leaves
// is collected within these limits instead of growing the process (RSS stays flat however
// many rows), and the command's own thread stays free to write and to handle signals.
const WORKER_LIMITS = {maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 8}

export type WorkerMessage =
  | {chunk: string}
  | {progress: number}
  | {done: number}
  | {error: {message: string; stack?: string; user?: {suggestion?: string; exitCode: number; code: string}}}

/**
 * How many chunks the worker may send ahead of the writes: it keeps making the next while
 * the command's thread writes, and memory stays bounded (chunks are about 64 KiB).
 */
export const CHUNKS_AHEAD = 4

/**
 * produceReport in report-worker.js. A file (--out) the worker writes itself; other text
 * (stdout, which may push back) comes back a chunk at a time, each acknowledged once written.
 */
export function runReportInWorker(job: ReportJob, sink: Sink, progress?: (rows: number) => void): Promise<number> {
  const workerData: ReportJob = {...job, terminal: sink.terminal === true, ...(sink.direct ? {direct: sink.direct} : {})}
  const worker = new Worker(new URL('./report-worker.js', import.meta.url), {workerData, resourceLimits: WORKER_LIMITS})
  return new Promise<number>((resolve, reject) => {
    let settled = false
    const fail = (err: Error) => {
      if (settled) return
      settled = true
      void worker.terminate()
      reject(err)
    }
    // Writes in the order the chunks came, one after the other.
    let written = Promise.resolve()
    worker.on('message', (m: WorkerMessage) => {
      if ('chunk' in m) {
        written = written.then(async () => {
          if (settled) return
          await sink.write(m.chunk)
          worker.postMessage('ack')
        })
        written.catch((err: Error) => fail(err))
      } else if ('progress' in m) progress?.(m.progress)
      else if ('done' in m) {
        written.then(() => {
          if (settled) return
          settled = true
          void worker.terminate()
          resolve(m.done)
        }, fail)
      } else fail(fromWorker(m.error))
    })
    worker.on('error', (err: Error & {code?: string}) =>
      fail(
        err.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? // Reports stream (their memory does not grow with the period or the rows): running out is a bug, exit 70 with its trace.
            Object.assign(new Error(`the ${job.type} report ran out of its worker's memory (${WORKER_LIMITS.maxOldGenerationSizeMb} MB); a shorter period may get round it`), {cause: err})
          : err,
      ),
    )
    worker.on('exit', (code) => fail(new Error(`the report worker stopped (exit ${code}) before finishing`)))
  })
}

export function toWorkerError(err: unknown): WorkerMessage & {error: unknown} {
  if (isUserError(err)) return {error: {message: err.message, user: {suggestion: err.suggestion, exitCode: err.exitCode, code: err.code}}}
  const e = err instanceof Error ? err : new Error(String(err))
  return {error: {message: e.message, stack: e.stack}}
}

function fromWorker(e: {message: string; stack?: string; user?: {suggestion?: string; exitCode: number; code: string}}): Error {
  if (e.user) return new UserError(e.message, e.user)
  const err = new Error(e.message)
  if (e.stack) err.stack = e.stack
  return err
}
