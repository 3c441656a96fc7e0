import {FencedError} from '../store/fencing.js'
import {chmodSync, existsSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {isNotFound, type AriRest, type RecordingEvent} from '../ari/port.js'
import type {CallRecorder} from '../calls/engine.js'
import {wavDurationMs} from '../prompts/audio.js'
import {errorMessage} from '../util/errors.js'
import type {EventLog} from '../calls/event-log.js'
import type {Logger} from '../util/log.js'
import type {RecordingRepository, RecordingRow} from './recording-store.js'

/** Call ids become file names in Asterisk's spool: nothing that could leave the directory. */
export const SAFE_ID = /^[A-Za-z0-9._-]+$/
export const FILE_MODE = 0o640
const DIR_MODE = 0o750
const FORMAT = 'wav'

/** After a call ends, how long Asterisk has to report its recording before the recorder asks. */
export const SETTLE_GRACE_MS = 5_000

export interface RecorderOptions {
  ari: Pick<AriRest, 'recordBridge' | 'stopRecording' | 'downloadStoredRecording'>
  recordings: RecordingRepository
  log: Logger
  /** Asterisk's recording spool on this machine (see location.ts), or null. */
  hostDir?: string | null
  /** Several boxes: the spool of the box that holds this recording (each box records where its call's bridge is); overrides hostDir. */
  hostDirOf?: (name: string) => string | null
  now?: () => number
  /** Where recordings are noted in the event log (the engine's, once it exists). */
  events?: Pick<EventLog, 'append'>
  /** Runs `fn` after `ms` (tests pass a fake clock's). */
  setTimer?: (fn: () => void, ms: number) => void
}

/**
 * Records each connected call's bridge in Asterisk and keeps a row per recording.
 * Asterisk ends a bridge recording by itself when the bridge is destroyed or its last
 * caller leaves, so the end of a call needs no request. Never throws into the engine.
 */
export class Recorder implements CallRecorder {
  private readonly recordings: RecordingRepository
  private readonly hostDir: string | null
  private readonly now: () => number
  private readonly timers = new Set<NodeJS.Timeout>()
  private stopped = false

  constructor(private readonly opts: RecorderOptions) {
    this.recordings = opts.recordings
    this.hostDir = opts.hostDir ?? null
    this.now = opts.now ?? Date.now
    if (this.hostDir) this.tightenDir(this.hostDir)
  }

  callConnected(c: {callId: string; bridgeId: string; queue: string | null; agent: string | null; number: string}): void {
    void this.start(c).catch((err: unknown) => this.opts.log.error('could not start recording', {call: c.callId, error: errorMessage(err)}))
  }

  callEnded(callId: string): void {
    void this.recordings.callEnded(callId, this.now()).catch((err: unknown) => {
      // Refused by the fence: this engine no longer leads, and the new leader settles the recordings.
      if (err instanceof FencedError) return
      this.opts.log.error('could not note the end of a recorded call', {call: callId, error: errorMessage(err)})
    })
    // Asterisk's RecordingFinished is sent to apps subscribed to the bridge; a bridge
    // destroyed as the call ends can take that subscription (and the event) with it. A
    // recording still open a little later is asked about instead of left open for ever.
    const later =
      this.opts.setTimer ??
      ((fn: () => void, ms: number) => {
        const t = setTimeout(() => (this.timers.delete(t), fn()), ms).unref()
        this.timers.add(t)
      })
    later(() => !this.stopped && void this.settleOpen((r) => r.callId === callId), SETTLE_GRACE_MS)
  }

  /** The engine stopped: no settling later over a store about to close (a standby steps down and starts over). */
  stop(): void {
    this.stopped = true
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
  }

  /**
   * Closes every recording still open whose call is not live (after an engine restart, or
   * when Asterisk's end-of-recording event was lost): one Asterisk still records is stopped,
   * then a stored file makes it finished, no file makes it failed. Each ends exactly once.
   */
  async settleOpen(which: (r: {callId: string; name: string}) => boolean): Promise<number> {
    let open: RecordingRow[]
    try {
      open = await this.recordings.open()
    } catch (err) {
      // Runs from a timer: a store closed meanwhile (the engine stopped) is no reason to crash.
      this.opts.log.warn('could not read open recordings', {error: errorMessage(err)})
      return 0
    }
    let n = 0
    for (const row of open) {
      if (!which(row)) continue
      try {
        await this.settleFromAsterisk(row.name)
        n++
      } catch (err) {
        this.opts.log.warn('could not settle an open recording', {recording: row.name, error: errorMessage(err)})
      }
    }
    return n
  }

  /** Recordings open in the table whose call is not among `live` are settled from Asterisk. */
  async reconcile(live: ReadonlySet<string>): Promise<void> {
    await this.settleOpen((r) => !live.has(r.callId))
  }

  private async settleFromAsterisk(name: string): Promise<void> {
    // Still being recorded (its bridge outlived the call): stop it, so Asterisk stores it.
    const stopped = await this.opts.ari.stopRecording(name).then(
      () => true,
      (err: unknown) => {
        if (isNotFound(err)) return false
        throw err
      },
    )
    if (stopped) await new Promise((r) => setTimeout(r, 500))
    if ((await this.recordings.get(name))?.state !== 'recording') return // its event came meanwhile
    // Stored: its file is in the spool here, or Asterisk has it (ARI has no HEAD: the bytes come too).
    const dir = this.dirFor(name)
    let stored = dir !== null && existsSync(join(dir, `${name}.${FORMAT}`))
    if (!stored) {
      try {
        await this.opts.ari.downloadStoredRecording(name)
        stored = true
      } catch (err) {
        if (!isNotFound(err)) throw err
      }
    }
    if ((await this.recordings.get(name))?.state !== 'recording') return
    const recording = {name, format: FORMAT, state: stored ? 'done' : 'failed', target_uri: '', ...(stored ? {} : {cause: 'lost: Asterisk has no such recording'})}
    await this.settle({type: stored ? 'RecordingFinished' : 'RecordingFailed', recording} as RecordingEvent, true)
  }

  onRecordingEvent(e: RecordingEvent): void {
    void this.settle(e).catch((err: unknown) => this.opts.log.error('could not save a finished recording', {recording: e.recording.name, error: errorMessage(err)}))
  }

  private async start(c: {callId: string; bridgeId: string; queue: string | null; agent: string | null; number: string}): Promise<void> {
    if (!SAFE_ID.test(c.callId)) {
      this.opts.log.error('not recording a call whose id is unsafe as a file name', {call: c.callId})
      return
    }
    // Call ids already read call-…: the recording is named after the call; a call connected
    // a second time (e.g. after a transfer) gets a second recording.
    const row = {callId: c.callId, queue: c.queue, agent: c.agent, number: c.number, startedAt: this.now(), format: FORMAT}
    let name = c.callId
    for (let i = 2; !(await this.recordings.insert({...row, name})); i++) name = `${c.callId}-${i}`
    try {
      await this.opts.ari.recordBridge(c.bridgeId, {name, format: FORMAT, ifExists: 'fail', beep: false})
      this.opts.events?.append({type: 'recording.started', callId: c.callId, queue: c.queue, agent: c.agent, data: {recording: name}})
    } catch (err) {
      // Kept as a failed row: a call that should have been recorded and was not must show.
      await this.recordings.fail(name, this.now(), errorMessage(err))
      this.opts.events?.append({type: 'recording.failed', callId: c.callId, queue: c.queue, agent: c.agent, data: {recording: name, error: errorMessage(err)}})
      this.opts.log.warn('recording did not start', {call: c.callId, recording: name, error: errorMessage(err)})
    }
  }

  /** `checked`: Asterisk never reported the end; the recorder asked it (the event says so). */
  private async settle(e: RecordingEvent, checked = false): Promise<void> {
    const row = await this.recordings.get(e.recording.name)
    if (!row) return this.tightenFile(e.recording.name, e.recording.format)
    // Settled already (its event and the recorder's own check can both arrive): once only.
    if (row.state !== 'recording') return
    const failed = e.type === 'RecordingFailed'
    let durationMs = typeof e.recording.duration === 'number' ? e.recording.duration * 1000 : null
    let hostPath: string | null = null
    let sizeBytes: number | null = null
    const dir = this.dirFor(row.name)
    if (dir) {
      // row.name comes from our own table (built from a checked id), never from the event.
      const file = join(dir, `${row.name}.${row.format}`)
      try {
        chmodSync(file, FILE_MODE)
        sizeBytes = statSync(file).size
        hostPath = file
        if (row.format === 'wav') durationMs = wavDurationMs(file)
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code
        if (!(failed && code === 'ENOENT')) this.opts.log.warn('recording file not reachable on this machine', {recording: row.name, error: errorMessage(err)})
      }
    }
    const error = failed ? (e.recording.cause ?? 'recording failed') : null
    // Settled meanwhile by the other path (its event and the recorder's own check): once only.
    if (!(await this.recordings.finish(row.name, {state: failed ? 'failed' : 'done', endedAt: this.now(), durationMs, hostPath, sizeBytes, error}))) return
    this.opts.events?.append({
      type: failed ? 'recording.failed' : 'recording.finished',
      callId: row.callId,
      queue: row.queue,
      agent: row.agent,
      data: {recording: row.name, durationMs, sizeBytes, ...(failed ? {error} : {}), ...(checked ? {checked: true} : {})},
    })
  }

  private dirFor(name: string): string | null {
    return this.opts.hostDirOf ? this.opts.hostDirOf(name) : this.hostDir
  }

  /** A recording that is not a call's (a voicemail) is in the same spool: its file too is 0640. */
  private tightenFile(name: string, format: string | undefined): void {
    const dir = SAFE_ID.test(name) ? this.dirFor(name) : null
    if (!dir || !/^[a-z0-9]+$/.test(format ?? FORMAT)) return
    try {
      chmodSync(join(dir, `${name}.${format ?? FORMAT}`), FILE_MODE)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.opts.log.warn('could not restrict a recording file', {recording: name, error: errorMessage(err)})
    }
  }

  /** Asterisk creates files readable by all while it records; the directory keeps others out. */
  private tightenDir(dir: string): void {
    try {
      const mode = statSync(dir).mode & 0o777
      if (mode & 0o007) chmodSync(dir, mode & DIR_MODE)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code !== 'ENOENT') this.opts.log.warn('could not restrict the recordings directory', {dir, error: errorMessage(err)})
    }
  }
}
