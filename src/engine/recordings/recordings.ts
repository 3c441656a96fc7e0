import {chmodSync, copyFileSync, constants, existsSync, rmSync, statSync, writeFileSync, renameSync} from 'node:fs'
import {basename, dirname, join} from 'node:path'
import {isNotFound, type AriRest} from '../ari/port.js'
import {parseDuration} from '../util/duration.js'
import {errorMessage, UserError} from '../util/errors.js'
import {FILE_MODE, SAFE_ID} from './recorder.js'
import type {RecordingQuery, RecordingRepository, RecordingRow} from './recording-store.js'

export type {RecordingQuery, RecordingRow} from './recording-store.js'

/** Asterisk is only asked when a file is not on this machine (so listing never needs it). */
export type AriSource = () => Pick<AriRest, 'downloadStoredRecording' | 'deleteStoredRecording'>

export function listRecordings(recordings: RecordingRepository, q: RecordingQuery): Promise<RecordingRow[]> {
  return recordings.list(q)
}

export interface ExportedRecording {
  name: string
  callId: string
  file: string
  bytes: number
  /** Copied from Asterisk's spool on this machine, or downloaded over ARI. */
  from: 'spool' | 'asterisk'
}

/**
 * Writes recordings to `out`: a directory (one NAME.wav per recording) or, for a single
 * recording, a file path. Each file is written under a temporary name and renamed, so a
 * cron job never sees half a file, and is readable by its owner and group only.
 */
export async function exportRecordings(recordings: RecordingRepository, target: {name?: string; callId?: string}, out: string, ari: AriSource): Promise<ExportedRecording[]> {
  const rows = await pick(recordings, target)
  const toDir = existsSync(out) && statSync(out).isDirectory()
  if (!toDir && rows.length > 1) {
    throw new UserError(`Call ${target.callId} has ${rows.length} recordings; --out must be a directory`, {suggestion: `Create the directory first: mkdir -p ${out}`, exitCode: 2})
  }
  if (!toDir && !existsSync(dirname(out))) throw new UserError(`Directory ${dirname(out)} does not exist`, {suggestion: 'Create it, or give an existing directory as --out.', exitCode: 2})
  const done: ExportedRecording[] = []
  for (const r of rows) {
    const file = toDir ? join(out, `${r.name}.${r.format}`) : out
    done.push({name: r.name, callId: r.callId, file, ...(await writeOne(r, file, ari))})
  }
  return done
}

async function pick(recordings: RecordingRepository, target: {name?: string; callId?: string}): Promise<RecordingRow[]> {
  if (target.name !== undefined) {
    const r = SAFE_ID.test(target.name) ? await recordings.get(target.name) : undefined
    if (!r) throw new UserError(`No recording named "${target.name}"`, {suggestion: 'See the names with: callctl recordings list', exitCode: 1, code: 'not_found'})
    if (r.state === 'failed') throw new UserError(`Recording ${r.name} failed: ${r.error ?? 'unknown error'}`, {exitCode: 1, code: 'recording_failed'})
    return [r]
  }
  if (target.callId === undefined) throw new UserError('Say which recording: a name or a call id', {exitCode: 2})
  const all = (await recordings.list({callId: target.callId})).reverse()
  const rows = all.filter((r) => r.state !== 'failed')
  if (rows.length === 0) {
    const why = all.length ? `its recording failed (${all[0]!.error ?? 'unknown error'})` : 'it has no recording'
    throw new UserError(`Call ${target.callId}: ${why}`, {suggestion: 'See the recordings with: callctl recordings list', exitCode: 1, code: 'not_found'})
  }
  return rows
}

async function writeOne(r: RecordingRow, file: string, ari: AriSource): Promise<{bytes: number; from: ExportedRecording['from']}> {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`)
  try {
    let from: ExportedRecording['from'] = 'spool'
    if (r.hostPath && existsSync(r.hostPath)) {
      copyFileSync(r.hostPath, tmp, constants.COPYFILE_EXCL)
    } else {
      from = 'asterisk'
      writeFileSync(tmp, await download(r, ari), {mode: FILE_MODE, flag: 'wx'})
    }
    // The umask may have taken bits away, and a copy keeps the source's mode.
    chmodSync(tmp, FILE_MODE)
    renameSync(tmp, file)
    return {bytes: statSync(file).size, from}
  } finally {
    rmSync(tmp, {force: true})
  }
}

async function download(r: RecordingRow, ari: AriSource): Promise<Buffer> {
  try {
    return await ari().downloadStoredRecording(r.name)
  } catch (err) {
    if (isNotFound(err)) {
      const why = r.state === 'recording' ? 'it is still being recorded, or was lost' : 'it was deleted there'
      throw new UserError(`Asterisk has no stored recording ${r.name} (${why})`, {exitCode: 1, code: 'not_found'})
    }
    if (err instanceof UserError) throw err
    throw new UserError(`Could not download ${r.name} from Asterisk: ${failure(err)}`, {suggestion: 'Check that Asterisk is running and ari.url in the config.', exitCode: 1, code: 'ari_unreachable'})
  }
}

/** fetch() says only "fetch failed"; the reason (ECONNREFUSED, a timeout) is in its cause. */
function failure(err: unknown): string {
  const cause = (err as {cause?: {code?: string; message?: string}}).cause
  const why = cause?.code ?? cause?.message
  return why ? `${errorMessage(err)} (${why})` : errorMessage(err)
}

export interface PurgeResult {
  cutoff: number
  dryRun: boolean
  /** Recordings older than the cutoff. */
  matched: number
  deleted: number
  /** Deleted here, but Asterisk no longer had them. */
  alreadyGone: number
  /** Still being recorded (started less than a day ago): left alone. */
  skipped: number
  failed: {name: string; error: string}[]
  names: string[]
}

const LIVE_GRACE_MS = 86_400_000

/**
 * Deletes recordings that started more than `olderThanMs` before `now`, from Asterisk
 * and from the table. A row whose file Asterisk could not delete is kept, so it can be
 * tried again. Nothing is purged unless asked: the retention default is none.
 */
export async function purgeRecordings(recordings: RecordingRepository, o: {olderThanMs: number; now?: number; dryRun?: boolean; ari: AriSource}): Promise<PurgeResult> {
  const now = o.now ?? Date.now()
  let client: ReturnType<AriSource> | undefined
  const ari: AriSource = () => (client ??= o.ari())
  const cutoff = now - o.olderThanMs
  const rows = await recordings.startedBefore(cutoff)
  const res: PurgeResult = {cutoff, dryRun: !!o.dryRun, matched: rows.length, deleted: 0, alreadyGone: 0, skipped: 0, failed: [], names: []}
  for (const r of rows) {
    if (r.state === 'recording' && r.startedAt > now - LIVE_GRACE_MS) {
      res.skipped++
      continue
    }
    if (o.dryRun) {
      res.names.push(r.name)
      continue
    }
    const gone = await deleteFromAsterisk(r, ari)
    if (typeof gone === 'object') {
      res.failed.push({name: r.name, error: gone.error})
      continue
    }
    if (r.hostPath) rmSync(r.hostPath, {force: true})
    await recordings.delete(r.name)
    res.names.push(r.name)
    res.deleted++
    if (gone === 'absent') res.alreadyGone++
  }
  return res
}

async function deleteFromAsterisk(r: RecordingRow, ari: AriSource): Promise<'deleted' | 'absent' | {error: string}> {
  // Outside the try: no ARI configured is one error for the whole purge, not one per recording.
  const client = ari()
  try {
    await client.deleteStoredRecording(r.name)
    return 'deleted'
  } catch (err) {
    if (isNotFound(err)) return 'absent'
    // Asterisk unreachable: a file on this machine can still be removed directly.
    if (r.hostPath && existsSync(r.hostPath)) return 'deleted'
    return {error: failure(err)}
  }
}

const RETENTION_HINT = 'Use an age with a unit: 5y, 90d, 12w or 36h.'

/** "5y", "90d", "12w", "36h": how old a recording must be to be purged, as of `now`. */
export function parseRetention(text: string, now = Date.now()): number {
  const t = text.trim()
  const years = /^(\d{1,3})y$/.exec(t)
  if (years) {
    // Calendar years, so leap days never make a recording go a day early.
    const d = new Date(now)
    d.setUTCFullYear(d.getUTCFullYear() - Number(years[1]))
    return now - d.getTime()
  }
  // A deleting command must not guess: a bare 90 would be seconds, and 6m minutes, not months.
  if (/^\d+(\.\d+)?$/.test(t)) throw new UserError(`--older-than "${text}" has no unit`, {suggestion: RETENTION_HINT, exitCode: 2})
  if (/\dm(?!s)/.test(t)) throw new UserError(`--older-than "${text}": m means minutes here`, {suggestion: 'For months, give days (6 months: 183d).', exitCode: 2})
  let ms: number
  try {
    ms = parseDuration(t, '--older-than')
  } catch {
    throw new UserError(`Invalid --older-than "${text}"`, {suggestion: RETENTION_HINT, exitCode: 2})
  }
  if (ms <= 0) throw new UserError(`Invalid --older-than "${text}": it must be more than zero`, {suggestion: RETENTION_HINT, exitCode: 2})
  return ms
}
