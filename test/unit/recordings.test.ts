import {chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {addAgent, addQueue, loginAgent} from '../../src/engine/admin/admin.js'
import {AriRequestError} from '../../src/engine/ari/port.js'
import {Engine} from '../../src/engine/calls/engine.js'
import {recordingDir} from '../../src/engine/recordings/location.js'
import {Recorder} from '../../src/engine/recordings/recorder.js'
import {exportRecordings, listRecordings, parseRetention, purgeRecordings} from '../../src/engine/recordings/recordings.js'
import {writeSandboxState} from '../../src/engine/sandbox/state.js'
import {repositoriesOf} from '../../src/engine/store/repositories.js'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'
import {UserError} from '../../src/engine/util/errors.js'
import {silentLogger, type Logger} from '../../src/engine/util/log.js'
import {callctlPaths} from '../../src/engine/util/paths.js'
import {encodeWav, parseWav, tones} from '../support/audio.js'
import {connectFirstCaller, FakeAri, settle} from '../support/fake-ari.js'
import {FakeClock} from '../support/fake-clock.js'

/** Asterisk's stored recordings, for export and purge. */
class StoringAri extends FakeAri {
  readonly stored = new Map<string, Buffer>()
  failDeletes = false
  override async downloadStoredRecording(n: string) {
    const b = this.stored.get(n)
    if (!b) throw new AriRequestError(404, 'GET /recordings/stored', 'Recording not found')
    return Buffer.from(b)
  }
  override async deleteStoredRecording(n: string): Promise<void> {
    await super.deleteStoredRecording(n)
    if (this.failDeletes) throw new AriRequestError(500, 'DELETE /recordings/stored', 'Internal error')
    if (!this.stored.delete(n)) throw new AriRequestError(404, 'DELETE /recordings/stored', 'Recording not found')
  }
}

function capturingLog(): Logger & {lines: string[]} {
  const lines: string[] = []
  const at = (level: string) => (msg: string, f?: Record<string, unknown>) => void lines.push(`${level} ${msg} ${JSON.stringify(f ?? {})}`)
  return {lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error')}
}

const mode = (file: string) => statSync(file).mode & 0o777
const wav = (ms: number) => encodeWav([tones([[440, 0.3]], 8000, ms)], 8000)
const finished = (name: string, duration = 3) => ({recording: {name, format: 'wav', state: 'done', target_uri: 'bridge:b', duration}})

let dir: string
let store: SqliteStore
let ari: StoringAri
let clock: FakeClock

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'callctl-rec-'))
  store = new SqliteStore(':memory:')
  ari = new StoringAri()
  clock = new FakeClock()
})
afterEach(async () => {
  await store.close()
  rmSync(dir, {recursive: true, force: true})
})

describe('Recorder', () => {
  let spool: string
  let log: ReturnType<typeof capturingLog>
  const recorder = (hostDir: string | null = spool) => new Recorder({ari, recordings: repositoriesOf(store).recordings, log, hostDir, now: () => clock.now()})
  const rows = () => repositoriesOf(store).recordings.list()
  const call = {callId: 'call-m3x1k-0a1b2c3d4e', bridgeId: 'call-m3x1k-0a1b2c3d4e.b', queue: 'sales', agent: 'a1', number: '+8613800138000'}

  beforeEach(() => {
    spool = join(dir, 'spool')
    mkdirSync(spool, {mode: 0o755})
    chmodSync(spool, 0o755)
    log = capturingLog()
  })

  it('records the bridge under the call id and keeps a row for it', async () => {
    recorder().callConnected(call)
    await settle()
    expect(ari.ops('recordBridge')).toEqual([[call.bridgeId, {name: `${call.callId}`, format: 'wav', ifExists: 'fail', beep: false}]])
    expect(await rows()).toEqual([
      {name: `${call.callId}`, callId: call.callId, queue: 'sales', agent: 'a1', number: '+8613800138000', startedAt: clock.now(), endedAt: null, durationMs: null, format: 'wav', state: 'recording', hostPath: null, sizeBytes: null, error: null},
    ])
  })

  it('when finished, makes the spool file 0640 and takes its length from the WAV header', async () => {
    const r = recorder()
    r.callConnected(call)
    await settle()
    const file = join(spool, `${call.callId}.wav`)
    writeFileSync(file, wav(2500), {mode: 0o644})
    chmodSync(file, 0o644)
    clock.advance(3000)
    r.callEnded(call.callId)
    await settle()
    expect((await rows())[0]).toMatchObject({state: 'recording', endedAt: clock.now()})
    clock.advance(100)
    r.onRecordingEvent({type: 'RecordingFinished', application: 'fake', timestamp: '', ...finished(`${call.callId}`)})
    await settle()
    expect(mode(file)).toBe(0o640)
    expect((await rows())[0]).toMatchObject({state: 'done', durationMs: 2500, hostPath: file, sizeBytes: statSync(file).size, endedAt: clock.now(), error: null})
  })

  it('without a spool on this machine, keeps Asterisk’s duration and no path', async () => {
    const r = recorder(null)
    r.callConnected(call)
    await settle()
    r.onRecordingEvent({type: 'RecordingFinished', application: 'fake', timestamp: '', ...finished(`${call.callId}`, 7)})
    await settle()
    expect((await rows())[0]).toMatchObject({state: 'done', durationMs: 7000, hostPath: null, sizeBytes: null})
  })

  it('a failed recording is kept as failed, with Asterisk’s cause', async () => {
    const r = recorder()
    r.callConnected(call)
    await settle()
    r.onRecordingEvent({type: 'RecordingFailed', application: 'fake', timestamp: '', recording: {name: `${call.callId}`, format: 'wav', state: 'failed', target_uri: 'bridge:b', cause: 'disk full'}})
    await settle()
    expect((await rows())[0]).toMatchObject({state: 'failed', error: 'disk full', hostPath: null})
    expect(log.lines.filter((l) => l.startsWith('warn'))).toEqual([])
  })

  it('a recording Asterisk refuses becomes a failed row and a warning, never an exception', async () => {
    ari.recordBridge = async () => {
      throw new AriRequestError(404, 'POST /bridges/x/record', 'Bridge not found')
    }
    expect(() => recorder().callConnected(call)).not.toThrow()
    await settle()
    expect((await rows())[0]).toMatchObject({state: 'failed', error: 'POST /bridges/x/record: 404 Bridge not found'})
    expect(log.lines.some((l) => l.startsWith('warn recording did not start'))).toBe(true)
  })

  it('refuses a call id that could leave the spool directory', async () => {
    recorder().callConnected({...call, callId: '../../etc/cron.d/x'})
    await settle()
    expect(ari.ops('recordBridge')).toEqual([])
    expect(await rows()).toEqual([])
    expect(log.lines.some((l) => l.startsWith('error not recording a call whose id is unsafe'))).toBe(true)
  })

  it('a call connected again gets a second recording; events for other recordings are ignored', async () => {
    const r = recorder()
    r.callConnected(call)
    await settle()
    r.callConnected({...call, agent: 'a2', bridgeId: 'other.b'})
    await settle()
    expect(ari.ops('recordBridge').map((a) => (a[1] as {name: string}).name)).toEqual([`${call.callId}`, `${call.callId}-2`])
    r.onRecordingEvent({type: 'RecordingFinished', application: 'fake', timestamp: '', ...finished('voicemail-somebody')})
    await settle()
    expect((await rows()).map((x) => [x.name, x.agent, x.state])).toEqual([
      [`${call.callId}-2`, 'a2', 'recording'],
      [`${call.callId}`, 'a1', 'recording'],
    ])
  })

  it('takes world access off the spool directory, and survives a closed store', async () => {
    const r = recorder()
    expect(mode(spool)).toBe(0o750)
    await store.close()
    expect(() => r.onRecordingEvent({type: 'RecordingFinished', application: 'fake', timestamp: '', ...finished('call-x')})).not.toThrow()
    expect(() => r.callEnded('x')).not.toThrow()
    await settle()
    expect(log.lines.filter((l) => l.startsWith('error'))).toHaveLength(2)
    store = new SqliteStore(':memory:')
  })
})

describe('the engine and the recorder', () => {
  async function connectedCall(record: boolean): Promise<{engine: Engine; callId: string}> {
    await addQueue(store, 'sales', {record, wrapUp: 0})
    await addAgent(store, {id: 'a1', endpoint: 'PJSIP/a1', queues: ['sales']})
    await loginAgent(store, 'a1')
    const engine = new Engine({ari, store, log: silentLogger, clock, syncIntervalMs: 3_600_000, recorder: new Recorder({ari, recordings: repositoriesOf(store).recordings, log: silentLogger, now: () => clock.now()})})
    await engine.start()
    const callId = await connectFirstCaller(ari, 'ch1', '5551000', 'sales')
    return {engine, callId}
  }

  it('a queue with record on records the bridge once caller and agent are in it', async () => {
    const {engine, callId} = await connectedCall(true)
    const order = ari.requests.map((r) => r.op).filter((op) => op === 'addToBridge' || op === 'recordBridge')
    expect(order).toEqual(['addToBridge', 'recordBridge'])
    expect(ari.ops('recordBridge')[0]).toEqual([`${callId}.b`, {name: `${callId}`, format: 'wav', ifExists: 'fail', beep: false}])
    clock.advance(4000)
    ari.hangsUp('ch1')
    await settle()
    // Destroying the bridge ends the recording in Asterisk: no stop request is needed.
    expect(ari.ops('stopRecording')).toEqual([])
    ari.emit('RecordingFinished', finished(`${callId}`, 4))
    await settle()
    expect(await listRecordings(repositoriesOf(store).recordings, {callId})).toMatchObject([{queue: 'sales', agent: 'a1', number: '5551000', state: 'done', durationMs: 4000, endedAt: clock.now()}])
    await engine.stop()
  })

  it('a queue with record off records nothing', async () => {
    const {engine} = await connectedCall(false)
    expect(ari.ops('addToBridge')).toHaveLength(1)
    expect(ari.ops('recordBridge')).toEqual([])
    expect(await listRecordings(repositoriesOf(store).recordings, {})).toEqual([])
    await engine.stop()
  })
})

describe('recording services', () => {
  const repo = () => repositoriesOf(store).recordings
  const T = Date.UTC(2026, 10, 23, 9, 0, 0)
  async function add(name: string, o: {callId?: string; queue?: string; agent?: string; number?: string; at?: number; state?: 'done' | 'failed' | 'recording'; file?: Buffer | null; stored?: Buffer | null} = {}) {
    await repo().insert({name, callId: o.callId ?? name.replace(/^call-/, ''), queue: o.queue ?? 'sales', agent: o.agent ?? 'a1', number: o.number ?? '+861', startedAt: o.at ?? T, format: 'wav'})
    let hostPath: string | null = null
    if (o.file) {
      hostPath = join(dir, `${name}.wav`)
      writeFileSync(hostPath, o.file, {mode: 0o644})
    }
    if (o.stored) ari.stored.set(name, o.stored)
    const state = o.state ?? 'done'
    if (state === 'failed') await repo().fail(name, T + 1000, 'bridge gone')
    else if (state === 'done') await repo().finish(name, {state, endedAt: (o.at ?? T) + 5000, durationMs: 5000, hostPath, sizeBytes: o.file?.length ?? null, error: null})
  }

  it('lists newest first, filtered by time, queue, agent, call and number', async () => {
    await add('call-1', {at: T, queue: 'sales', agent: 'a1', number: '+8611'})
    await add('call-2', {at: T + 60_000, queue: 'support', agent: 'a2', number: '+8622'})
    await add('call-3', {at: T + 120_000, queue: 'sales', agent: 'a2', number: '+8611'})
    const names = async (q: Parameters<typeof listRecordings>[1]) => (await listRecordings(repo(), q)).map((r) => r.name)
    expect(await names({})).toEqual(['call-3', 'call-2', 'call-1'])
    expect(await names({since: T + 60_000})).toEqual(['call-3', 'call-2'])
    expect(await names({until: T + 60_000})).toEqual(['call-1'])
    expect(await names({queue: 'sales'})).toEqual(['call-3', 'call-1'])
    expect(await names({agent: 'a2', queue: 'sales'})).toEqual(['call-3'])
    expect(await names({callId: '2'})).toEqual(['call-2'])
    expect(await names({number: '+8611'})).toEqual(['call-3', 'call-1'])
    expect(await names({limit: 1})).toEqual(['call-3'])
  })

  it('exports from the spool into a directory, mode 0640, leaving no temporary file', async () => {
    const audio = wav(1000)
    await add('call-a', {file: audio})
    const out = join(dir, 'out')
    mkdirSync(out)
    const [e] = await exportRecordings(repo(), {name: 'call-a'}, out, () => ari)
    expect(e).toEqual({name: 'call-a', callId: 'a', file: join(out, 'call-a.wav'), bytes: audio.length, from: 'spool'})
    expect(readFileSync(e!.file)).toEqual(audio)
    expect(mode(e!.file)).toBe(0o640)
    expect(readdirSync(out)).toEqual(['call-a.wav'])
    expect(ari.requests).toEqual([])
  })

  it('downloads over ARI when the file is not on this machine, to a file path', async () => {
    const audio = wav(800)
    await add('call-b', {stored: audio})
    const target = join(dir, 'b.wav')
    writeFileSync(target, 'old content')
    const [e] = await exportRecordings(repo(), {name: 'call-b'}, target, () => ari)
    expect(e).toMatchObject({file: target, from: 'asterisk', bytes: audio.length})
    expect(parseWav(readFileSync(target)).durationMs).toBe(800)
    expect(mode(target)).toBe(0o640)
  })

  it('exports every recording of a call, which needs a directory', async () => {
    await add('call-c', {callId: 'c', at: T, file: wav(100)})
    await add('call-c-2', {callId: 'c', at: T + 10_000, stored: wav(200)})
    await add('call-c-3', {callId: 'c', at: T + 20_000, state: 'failed'})
    await expect(exportRecordings(repo(), {callId: 'c'}, join(dir, 'c.wav'), () => ari)).rejects.toThrow(/has 2 recordings; --out must be a directory/)
    const out = await exportRecordings(repo(), {callId: 'c'}, dir, () => ari)
    expect(out.map((e) => [e.name, e.from])).toEqual([
      ['call-c', 'spool'],
      ['call-c-2', 'asterisk'],
    ])
  })

  it('says clearly what cannot be exported', async () => {
    await add('call-f', {state: 'failed'})
    await add('call-g', {})
    await add('call-live', {state: 'recording'})
    const err = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as UserError)
    expect(await err(exportRecordings(repo(), {name: '../../etc/passwd'}, dir, () => ari))).toMatchObject({code: 'not_found', exitCode: 1})
    expect(await err(exportRecordings(repo(), {name: 'call-nope'}, dir, () => ari))).toMatchObject({message: 'No recording named "call-nope"'})
    expect(await err(exportRecordings(repo(), {name: 'call-f'}, dir, () => ari))).toMatchObject({message: 'Recording call-f failed: bridge gone'})
    expect(await err(exportRecordings(repo(), {callId: 'f'}, dir, () => ari))).toMatchObject({message: 'Call f: its recording failed (bridge gone)'})
    expect(await err(exportRecordings(repo(), {callId: 'zzz'}, dir, () => ari))).toMatchObject({message: 'Call zzz: it has no recording'})
    expect(await err(exportRecordings(repo(), {name: 'call-g'}, dir, () => ari))).toMatchObject({message: 'Asterisk has no stored recording call-g (it was deleted there)'})
    expect(await err(exportRecordings(repo(), {name: 'call-live'}, dir, () => ari))).toMatchObject({message: expect.stringContaining('still being recorded')})
    expect(await err(exportRecordings(repo(), {name: 'call-g'}, join(dir, 'no/such/dir/x.wav'), () => ari))).toMatchObject({exitCode: 2, message: expect.stringContaining('does not exist')})
    expect(readdirSync(dir)).toEqual([])
  })

  it('purges what is older than the retention from Asterisk, disk and list, and reports counts', async () => {
    const day = 86_400_000
    await add('call-old1', {at: T - 100 * day, file: wav(100), stored: wav(100)})
    await add('call-old2', {at: T - 95 * day}) // Asterisk lost it already: a 404 is fine
    await add('call-new', {at: T - 10 * day, stored: wav(100)})
    const file = join(dir, 'call-old1.wav')
    const dry = await purgeRecordings(repo(), {olderThanMs: 90 * day, now: T, dryRun: true, ari: () => ari})
    expect(dry).toMatchObject({dryRun: true, matched: 2, deleted: 0, names: ['call-old1', 'call-old2']})
    expect(ari.ops('deleteStoredRecording')).toEqual([])

    const res = await purgeRecordings(repo(), {olderThanMs: 90 * day, now: T, ari: () => ari})
    expect(res).toEqual({cutoff: T - 90 * day, dryRun: false, matched: 2, deleted: 2, alreadyGone: 1, skipped: 0, failed: [], names: ['call-old1', 'call-old2']})
    expect(ari.ops('deleteStoredRecording')).toEqual([['call-old1'], ['call-old2']])
    expect(existsSync(file)).toBe(false)
    expect((await listRecordings(repo(), {})).map((r) => r.name)).toEqual(['call-new'])
    expect([...ari.stored.keys()]).toEqual(['call-new'])
  })

  it('keeps a recording Asterisk would not delete (unless its file is here), and one still recording', async () => {
    const day = 86_400_000
    await add('call-remote', {at: T - 10 * day, stored: wav(100)})
    await add('call-local', {at: T - 10 * day, file: wav(100), stored: wav(100)})
    await add('call-live', {at: T - 60_000, state: 'recording'})
    ari.failDeletes = true
    const res = await purgeRecordings(repo(), {olderThanMs: 1000, now: T, ari: () => ari})
    expect(res).toMatchObject({matched: 3, deleted: 1, skipped: 1, failed: [{name: 'call-remote', error: 'DELETE /recordings/stored: 500 Internal error'}], names: ['call-local']})
    expect(existsSync(join(dir, 'call-local.wav'))).toBe(false)
    expect((await listRecordings(repo(), {})).map((r) => r.name).sort()).toEqual(['call-live', 'call-remote'])
  })

  it('without a usable ARI, a purge stops at once and an export says why, deleting and writing nothing', async () => {
    await add('call-p', {at: T - 10_000, stored: wav(100)})
    await add('call-q', {at: T - 10_000, stored: wav(100)})
    let asked = 0
    const unconfigured = () => {
      asked++
      throw new UserError('No ARI password')
    }
    await expect(purgeRecordings(repo(), {olderThanMs: 1000, now: T, ari: unconfigured})).rejects.toThrow('No ARI password')
    expect(asked).toBe(1)
    expect(await listRecordings(repo(), {})).toHaveLength(2)
    const unreachable = Object.assign(new TypeError('fetch failed'), {cause: {code: 'ECONNREFUSED'}})
    ari.downloadStoredRecording = async () => {
      throw unreachable
    }
    await expect(exportRecordings(repo(), {name: 'call-p'}, dir, () => ari)).rejects.toMatchObject({message: 'Could not download call-p from Asterisk: fetch failed (ECONNREFUSED)', exitCode: 1})
    expect(readdirSync(dir)).toEqual([])
  })

  it('reads retention periods; years are calendar years', () => {
    const now = Date.UTC(2026, 10, 23, 9, 0, 0)
    expect(now - parseRetention('5y', now)).toBe(Date.UTC(2021, 10, 23, 9, 0, 0))
    expect(parseRetention('90d', now)).toBe(90 * 86_400_000)
    expect(parseRetention('12w')).toBe(12 * 7 * 86_400_000)
    expect(parseRetention('36h')).toBe(36 * 3_600_000)
    expect(() => parseRetention('5 years')).toThrow(UserError)
    expect(() => parseRetention('0d')).toThrow(/more than zero/)
    // Deleting on a guess is not acceptable: no unit, or m (minutes) meant as months.
    expect(() => parseRetention('90')).toThrow(/has no unit/)
    expect(() => parseRetention('6m')).toThrow(/m means minutes/)
    expect(() => parseRetention('1d12m')).toThrow(/m means minutes/)
  })
})

describe('recordingDir', () => {
  it('is the sandbox spool inside its chroot when the engine uses that sandbox, else the configured one or none', () => {
    const paths = callctlPaths({CALLCTL_HOME: dir})
    expect(recordingDir(paths, 'http://127.0.0.1:8088', {})).toBeNull()
    writeSandboxState(paths, {pid: 1, root: '/cache/root', instance: 'abc', instanceDir: '/srv/callctl/abc', httpPort: 8088, ariUrl: 'http://127.0.0.1:8088', ariUser: 'callctl', passwordFile: 'x', app: 'callctl', startedAt: ''})
    expect(recordingDir(paths, 'http://127.0.0.1:8088/', {})).toBe('/cache/root/srv/callctl/abc/spool/recording')
    expect(recordingDir(paths, 'http://pbx.example:8088', {})).toBeNull()
    expect(recordingDir(paths, 'http://pbx.example:8088', {CALLCTL_RECORDINGS_DIR: '/var/spool/asterisk/recording'})).toBe('/var/spool/asterisk/recording')
  })
})
