import {chmodSync, existsSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {AriRequestError, isNotFound, type AriRest, type RecordingEvent} from '../ari/port.js'
import type {CallRecorder} from '../calls/engine.js'
import {wavDurationMs} from '../prompts/audio.js'
import {errorMessage} from '../util/errors.js'
import type {EventLog} from '../calls/event-log.js'
import type {Logger} from '../util/log.js'
import {HeldWrites} from './held-writes.js'
import type {NewRecording, RecordingEnd, RecordingRepository, RecordingRow} from './recording-store.js'

/** Call ids become file names in Asterisk's spool: nothing that could leave the directory. */
export const SAFE_ID = /^[A-Za-z0-9._-]+$/
export const FILE_MODE = 0o640
const DIR_MODE = 0o750
const FORMAT = 'wav'

/** After a call ends, how long Asterisk has to report its recording before the recorder asks. */
export const SETTLE_GRACE_MS = 5_000
/** Names a call's recordings may take in Asterisk (call-…, call-…-2, …) before the recorder gives up. */
const MAX_TAKES = 20
/** How long a stopping engine gives the store to take the rows still held. */
const STOP_FLUSH_MS = 1_000

type Which = (r: {callId: string; name: string}) => boolean

/** A recording this engine started: its row as the store should hold it, written or not yet. */
interface Started {
  row: NewRecording
  /** Its end is decided (event appended, finish held): once only, whatever the store does. */
  ended: boolean
}

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
 *
 * Recording never waits for the store: the bridge is recorded first, and the row (its
 * insert, the call's end, the recording's end) is written when the store takes it, held
 * in memory and retried while the store fails (held-writes.ts). A recording this engine
 * started is settled from memory, once; one from before a restart or a takeover, from
 * the store, and a settling the store did not answer is retried when it is back.
 */
export class Recorder implements CallRecorder {
  private readonly recordings: RecordingRepository
  private readonly hostDir: string | null
  private readonly now: () => number
  private readonly timers = new Set<NodeJS.Timeout>()
  private readonly held: HeldWrites
  /** This engine's recordings whose end is not yet in the store, by name. */
  private readonly started = new Map<string, Started>()
  /** The next name's number for each call connected before (call-…-2 for its second recording), until the call ends. */
  private readonly takes = new Map<string, number>()
  /** Settlings of the store's open rows owed until it answers. */
  private readonly owed: Which[] = []
  private owedHeld = false
  private stopped = false

  constructor(private readonly opts: RecorderOptions) {
    this.recordings = opts.recordings
    this.hostDir = opts.hostDir ?? null
    this.now = opts.now ?? Date.now
    this.held = new HeldWrites({log: opts.log, now: this.now, later: (fn, ms) => this.later(fn, ms)})
    if (this.hostDir) this.tightenDir(this.hostDir)
  }

  callConnected(c: {callId: string; bridgeId: string; queue: string | null; agent: string | null; number: string}): void {
    void this.start(c).catch((err: unknown) => this.opts.log.error('could not start recording', {call: c.callId, error: errorMessage(err)}))
  }

  callEnded(callId: string): void {
    this.takes.delete(callId)
    const at = this.now()
    this.held.write({what: `the end of call ${callId}`, run: () => this.recordings.callEnded(callId, at)})
    // Asterisk's RecordingFinished is sent to apps subscribed to the bridge; a bridge
    // destroyed as the call ends can take that subscription (and the event) with it. A
    // recording still open a little later is asked about instead of left open for ever.
    this.later(() => !this.stopped && void this.settleOpen((r) => r.callId === callId), SETTLE_GRACE_MS)
  }

  /** Rows held because the store failed (what stop() warns about; tests read it). */
  get pending(): number {
    return this.held.pending
  }

  /**
   * The engine stopped: no settling later over a store about to close (a standby steps
   * down and starts over). Rows still held get one last short try.
   */
  async stop(): Promise<void> {
    this.stopped = true
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
    this.held.stop()
    if (this.held.pending === 0) return
    let timer: NodeJS.Timeout | undefined
    await Promise.race([this.held.flush(), new Promise((r) => (timer = setTimeout(r, STOP_FLUSH_MS)))])
    clearTimeout(timer)
    if (this.held.pending > 0) this.opts.log.warn('recording rows not saved before the engine stopped (the recordings are in Asterisk; their events are in the log)', {held: this.held.pending})
  }

  /**
   * Closes every recording still open whose call is not live (after an engine restart, or
   * when Asterisk's end-of-recording event was lost): one Asterisk still records is stopped,
   * then a stored file makes it finished, no file makes it failed. Each ends exactly once.
   * What the store or Asterisk did not answer is tried again later.
   */
  async settleOpen(which: Which): Promise<number> {
    if (this.stopped) return 0
    let n = 0
    for (const s of [...this.started.values()]) {
      if (s.ended || !which(s.row)) continue
      const name = s.row.name
      try {
        await this.settleFromAsterisk(name)
        n++
      } catch (err) {
        this.opts.log.warn('could not settle an open recording: tried again later', {recording: name, error: errorMessage(err)})
        this.held.retry({what: `settling recording ${name}`, run: () => this.settleFromAsterisk(name)})
      }
    }
    try {
      n += await this.settleStored(which)
    } catch {
      // Runs from a timer: a store that does not answer (stopped, closed, locked) is no reason
      // to crash, nor for a line per call: the held writes report the outage (once a minute).
      this.oweStored(which)
    }
    return n
  }

  /** A settling of stored rows the store did not answer: one retry held for all of them (not one per call ended during an outage). */
  private oweStored(which?: Which): void {
    if (which) this.owed.push(which)
    if (this.owedHeld || this.owed.length === 0) return
    this.owedHeld = true
    this.held.retry({
      what: 'settling open recordings',
      run: async () => {
        // Failing, it stays held and runs again with what is owed by then.
        const all = [...this.owed]
        await this.settleStored((r) => all.some((w) => w(r)))
        this.owed.splice(0, all.length)
        this.owedHeld = false
        this.oweStored()
      },
    })
  }

  /** Recordings open in the table whose call is not among `live` are settled from Asterisk. */
  async reconcile(live: ReadonlySet<string>): Promise<void> {
    await this.settleOpen((r) => !live.has(r.callId))
  }

  /**
   * The store's open rows of recordings this engine did not start (before a restart or a
   * takeover); throws when one could not be settled, after trying them all.
   */
  private async settleStored(which: Which): Promise<number> {
    let n = 0
    let failed: unknown
    for (const row of await this.recordings.open()) {
      // This engine's own are settled from memory (the reconcile's `live` says nothing of calls that came later).
      if (this.started.has(row.name) || !which(row)) continue
      try {
        await this.settleFromAsterisk(row.name)
        n++
      } catch (err) {
        failed ??= err
      }
    }
    if (failed !== undefined) throw failed
    return n
  }

  private async stillOpen(name: string): Promise<boolean> {
    const s = this.started.get(name)
    if (s) return !s.ended
    return (await this.recordings.get(name))?.state === 'recording'
  }

  private async settleFromAsterisk(name: string): Promise<void> {
    if (!(await this.stillOpen(name))) return
    // Still being recorded (its bridge outlived the call): stop it, so Asterisk stores it.
    const stopped = await this.opts.ari.stopRecording(name).then(
      () => true,
      (err: unknown) => {
        if (isNotFound(err)) return false
        throw err
      },
    )
    if (stopped) await new Promise((r) => setTimeout(r, 500))
    if (!(await this.stillOpen(name))) return // its event came meanwhile
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
    if (!(await this.stillOpen(name))) return
    const recording = {name, format: FORMAT, state: stored ? 'done' : 'failed', target_uri: '', ...(stored ? {} : {cause: 'lost: Asterisk has no such recording'})}
    await this.settle({type: stored ? 'RecordingFinished' : 'RecordingFailed', recording} as RecordingEvent, true)
  }

  onRecordingEvent(e: RecordingEvent): void {
    const name = e.recording.name
    void this.settle(e).catch((err: unknown) => {
      // The store did not answer for a recording from before a restart: asked again when it does.
      this.opts.log.error('could not save a finished recording: tried again when the store answers', {recording: name, error: errorMessage(err)})
      this.tightenFile(name, e.recording.format)
      this.oweStored((r) => r.name === name)
    })
  }

  private async start(c: {callId: string; bridgeId: string; queue: string | null; agent: string | null; number: string}): Promise<void> {
    if (!SAFE_ID.test(c.callId)) {
      this.opts.log.error('not recording a call whose id is unsafe as a file name', {call: c.callId})
      return
    }
    // Call ids already read call-…: the recording is named after the call; a call connected
    // a second time (e.g. after a transfer) gets a second recording. Asterisk refuses a name
    // it has (ifExists fail: a recording of this call from before a restart): the next one.
    const startedAt = this.now()
    let name = c.callId
    let error: string | null = null
    for (;;) {
      const i = this.takes.get(c.callId) ?? 1
      this.takes.set(c.callId, i + 1)
      name = i === 1 ? c.callId : `${c.callId}-${i}`
      try {
        await this.opts.ari.recordBridge(c.bridgeId, {name, format: FORMAT, ifExists: 'fail', beep: false})
        break
      } catch (err) {
        if (err instanceof AriRequestError && err.status === 409 && i < MAX_TAKES) continue
        error = errorMessage(err)
        break
      }
    }
    const s: Started = {row: {name, callId: c.callId, queue: c.queue, agent: c.agent, number: c.number, startedAt, format: FORMAT}, ended: false}
    this.started.set(name, s)
    this.held.write({what: `recording ${name}`, run: () => this.insertRow(s.row)})
    if (error === null) {
      this.opts.events?.append({type: 'recording.started', callId: c.callId, queue: c.queue, agent: c.agent, data: {recording: name}})
      return
    }
    // Kept as a failed row: a call that should have been recorded and was not must show.
    this.end(s, {state: 'failed', endedAt: this.now(), durationMs: null, hostPath: null, sizeBytes: null, error})
    this.opts.events?.append({type: 'recording.failed', callId: c.callId, queue: c.queue, agent: c.agent, data: {recording: name, error}})
    this.opts.log.warn('recording did not start', {call: c.callId, recording: name, error})
  }

  private async insertRow(row: NewRecording): Promise<void> {
    if (await this.recordings.insert(row)) return
    // Written already: an insert that reached the store though its answer did not.
    const there = await this.recordings.get(row.name)
    if (there?.callId === row.callId && there.startedAt === row.startedAt) return
    this.opts.log.error('a recording row of that name exists already (from before a restart): this recording keeps no row', {recording: row.name, call: row.callId})
  }

  /** Decides a recording's end once, in memory; its row follows when the store takes it. */
  private end(s: Started, f: RecordingEnd): void {
    s.ended = true
    this.held.write({
      what: `the end of recording ${s.row.name}`,
      run: async () => {
        await this.recordings.finish(s.row.name, f)
        this.started.delete(s.row.name)
      },
    })
  }

  /** `checked`: Asterisk never reported the end; the recorder asked it (the event says so). */
  private async settle(e: RecordingEvent, checked = false): Promise<void> {
    const mine = this.started.get(e.recording.name)
    let row: Pick<RecordingRow, 'name' | 'callId' | 'queue' | 'agent' | 'format'>
    if (mine) {
      // Settled already (its event and the recorder's own check can both arrive): once only.
      if (mine.ended) return
      row = mine.row
    } else {
      // One this engine did not start: the store knows it (or it is no call's: a voicemail).
      const stored = await this.recordings.get(e.recording.name)
      if (!stored) return this.tightenFile(e.recording.name, e.recording.format)
      if (stored.state !== 'recording') return
      row = stored
    }
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
    const end: RecordingEnd = {state: failed ? 'failed' : 'done', endedAt: this.now(), durationMs, hostPath, sizeBytes, error}
    if (mine) this.end(mine, end)
    else if (!(await this.recordings.finish(row.name, end))) return // settled meanwhile by the other path: once only
    this.opts.events?.append({
      type: failed ? 'recording.failed' : 'recording.finished',
      callId: row.callId,
      queue: row.queue,
      agent: row.agent,
      data: {recording: row.name, durationMs, sizeBytes, ...(failed ? {error} : {}), ...(checked ? {checked: true} : {})},
    })
  }

  /** Runs `fn` after `ms` (tests pass a fake clock's); stop() clears what is pending, the callers check `stopped` too. */
  private later(fn: () => void, ms: number): void {
    if (this.opts.setTimer) return this.opts.setTimer(fn, ms)
    const t = setTimeout(() => (this.timers.delete(t), fn()), ms).unref()
    this.timers.add(t)
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
