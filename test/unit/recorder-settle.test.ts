import {chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {AriRequestError} from '../../src/engine/ari/port.js'
import {Recorder} from '../../src/engine/recordings/recorder.js'
import {repositoriesOf} from '../../src/engine/store/repositories.js'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'
import {silentLogger} from '../../src/engine/util/log.js'
import {encodeWav, tones} from '../support/audio.js'
import {FakeAri, settle} from '../support/fake-ari.js'

// Every recording ends finished or failed, even when Asterisk's RecordingFinished never
// reaches the engine (it ended while no engine was connected, or went with its bridge's
// subscription): the recorder then asks Asterisk itself.

class StoredAri extends FakeAri {
  readonly stored = new Set<string>()
  live = new Set<string>()
  override async stopRecording(n: string): Promise<void> {
    await super.stopRecording(n)
    if (!this.live.delete(n)) throw new AriRequestError(404, 'POST /recordings/live/x/stop', 'Recording not found')
    this.stored.add(n)
  }
  override async downloadStoredRecording(n: string) {
    if (!this.stored.has(n)) throw new AriRequestError(404, 'GET /recordings/stored', 'Recording not found')
    return Buffer.alloc(4)
  }
}

const mode = (file: string) => statSync(file).mode & 0o777
const call = {callId: 'call-m3x1k-0a1b2c3d4e', bridgeId: 'call-m3x1k-0a1b2c3d4e.b', queue: 'sales', agent: 'a1', number: '+8613800138000'}

let dir: string
let spool: string
let store: SqliteStore
let ari: StoredAri
let timers: (() => void)[]
let events: {type: string; callId?: string | null; data: Record<string, unknown>}[]

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'callctl-settle-'))
  spool = join(dir, 'spool')
  mkdirSync(spool)
  store = new SqliteStore(':memory:')
  ari = new StoredAri()
  timers = []
  events = []
})
afterEach(async () => {
  await store.close()
  rmSync(dir, {recursive: true, force: true})
})

const recorder = () =>
  new Recorder({ari, recordings: repositoriesOf(store).recordings, log: silentLogger, hostDir: spool, events: {append: (e) => (events.push(e as never), e as never)}, setTimer: (fn) => void timers.push(fn)})
const rows = () => repositoriesOf(store).recordings.list()
const ends = () => events.filter((e) => e.type === 'recording.finished' || e.type === 'recording.failed')

/** Runs the recorder's pending checks and waits for them. */
async function runTimers(): Promise<void> {
  for (const fn of timers.splice(0)) fn()
  for (let i = 0; i < 20; i++) await settle()
}

function spoolFile(name: string): string {
  const file = join(spool, `${name}.wav`)
  writeFileSync(file, encodeWav([tones([[440, 0.3]], 8000, 1500)], 8000))
  chmodSync(file, 0o644) // as Asterisk leaves it
  return file
}

describe('recordings whose end Asterisk never reported', () => {
  it('a little after its call ends, a stored recording becomes finished and its file 0640', async () => {
    const r = recorder()
    r.callConnected(call)
    await settle()
    const file = spoolFile(call.callId)
    ari.stored.add(call.callId)
    r.callEnded(call.callId)
    expect((await rows())[0]!.state).toBe('recording')
    await runTimers()
    expect((await rows())[0]).toMatchObject({state: 'done', hostPath: file, durationMs: 1500})
    expect(mode(file)).toBe(0o640)
    expect(ends()).toEqual([expect.objectContaining({type: 'recording.finished', callId: call.callId, data: expect.objectContaining({recording: call.callId, checked: true})})])
  })

  it('one Asterisk still records is stopped first; one it does not have at all is failed', async () => {
    const r = recorder()
    r.callConnected(call)
    r.callConnected({...call, callId: 'call-other-1', bridgeId: 'call-other-1.b'})
    await settle()
    ari.live.add(call.callId)
    await r.reconcile(new Set())
    expect(ari.ops('stopRecording')).toEqual([[call.callId], ['call-other-1']])
    expect((await rows()).map((x) => [x.name, x.state])).toEqual([
      ['call-other-1', 'failed'],
      [call.callId, 'done'],
    ])
    expect(ends().map((e) => e.type).sort()).toEqual(['recording.failed', 'recording.finished'])
  })

  it('leaves the recordings of live calls alone, and ends each recording once when its event comes too', async () => {
    const r = recorder()
    r.callConnected(call)
    await settle()
    ari.stored.add(call.callId)
    await r.reconcile(new Set([call.callId]))
    expect((await rows())[0]!.state).toBe('recording')
    await r.reconcile(new Set())
    r.onRecordingEvent({type: 'RecordingFinished', application: 'fake', timestamp: '', recording: {name: call.callId, format: 'wav', state: 'done', target_uri: 'bridge:b', duration: 3}})
    await settle()
    expect(ends()).toHaveLength(1)
  })

  it('a check due after the store closed (the engine stopped) does nothing and throws nothing', async () => {
    const r = recorder()
    r.callConnected(call)
    await settle()
    r.callEnded(call.callId)
    await store.close()
    await r.stop()
    await expect(r.settleOpen(() => true)).resolves.toBe(0)
    await runTimers()
    store = new SqliteStore(':memory:')
  })

  it('a voicemail recording in the same spool is made 0640 too', async () => {
    const file = spoolFile('voicemail-call-x')
    recorder().onRecordingEvent({type: 'RecordingFinished', application: 'fake', timestamp: '', recording: {name: 'voicemail-call-x', format: 'wav', state: 'done', target_uri: 'channel:c'}})
    await settle()
    expect(mode(file)).toBe(0o640)
    expect(await rows()).toEqual([])
  })
})
