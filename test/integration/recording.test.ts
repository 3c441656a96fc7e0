import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, inject, it} from 'vitest'
import {AriHttp, isNotFound} from '../../src/engine/ari/index.js'
import {recordingDir} from '../../src/engine/recordings/location.js'
import {Recorder} from '../../src/engine/recordings/recorder.js'
import {exportRecordings, listRecordings} from '../../src/engine/recordings/recordings.js'
import {repositoriesOf} from '../../src/engine/store/repositories.js'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'
import {createLogger} from '../../src/engine/util/log.js'
import {mono, parseWav, rms, toneShare} from '../support/audio.js'
import {toJsonContract} from '../../src/ui/json-contract.js'
import {runCli} from '../support/cli.js'
import {leftovers, sandboxCreds, sandboxPaths, startTestEngine, type Harness} from '../support/harness.js'

// Call recording on the real sandbox Asterisk: the simulated caller plays 440 Hz and the
// simulated agent 1000 Hz, so the recording of their bridge must carry both.

let h: Harness | undefined
let recStore: SqliteStore | undefined
let recorder: Recorder | undefined
let out: string | undefined

afterEach(async () => {
  if (h) {
    for (const ch of await h.rest.listChannels()) await h.rest.hangup(ch.id).catch(() => undefined)
    await h.waitFor('no channels left', async () => (await leftovers(h!.rest)).channels.length === 0, 10_000)
    await h.stop()
  }
  // As run.ts does before the store closes: its settling timers and held rows stop with it
  // (left running, they retried a closed store for minutes in the lane's later files).
  await recorder?.stop()
  await recStore?.close()
  if (out) rmSync(out, {recursive: true, force: true})
  h = recStore = recorder = out = undefined
})

const mode = (file: string) => statSync(file).mode & 0o777

/** The recordings table lives in its own file, which the CLI reads through CALLCTL_DB. */
async function recordingEngine(record: boolean): Promise<{h: Harness; rest: AriHttp; spool: string; cliEnv: Record<string, string>}> {
  const creds = sandboxCreds()
  const rest = new AriHttp(creds)
  const spool = recordingDir(sandboxPaths(), creds.url)
  if (!spool) throw new Error('the test sandbox has no recording spool on this machine')
  out = mkdtempSync(join(tmpdir(), 'callctl-rec-out-'))
  const dbFile = join(out, 'recordings.db')
  recStore = new SqliteStore(dbFile)
  recorder = new Recorder({ari: rest, recordings: repositoriesOf(recStore).recordings, log: createLogger({level: 'warn'}), hostDir: spool})
  h = await startTestEngine({
    queues: {rec: {record, wrapUp: 0}},
    agents: [{id: 'a1', ring: 0, talk: {min: 4, max: 4}, queues: ['rec']}],
    engine: {recorder},
  })
  return {h, rest, spool, cliEnv: {CALLCTL_HOME: inject('sandbox').home, CALLCTL_DB: dbFile}}
}

describe('call recording on the real sandbox', () => {
  it('records a connected call: a non-silent WAV of the talk time with both parties, 0640, exportable and purgeable', async () => {
    const {h, rest, spool, cliEnv} = await recordingEngine(true)
    await h.call({number: '+15550200001', did: 'rec', patience: 30})
    const call = await h.ended('+15550200001')
    expect(call.outcome).toBe('completed')
    const completed = (await h.events()).find((e) => e.type === 'call.completed' && e.callId === call.callId)!
    const talkMs = Number(completed.data.talkMs)
    expect(talkMs).toBeGreaterThan(3000)

    const db = recStore!.db
    const recordings = repositoriesOf(recStore!).recordings
    const row = await h.waitFor('the recording to be saved', async () => (await listRecordings(recordings, {callId: call.callId})).find((r) => r.state !== 'recording'), 10_000)
    const file = join(spool, `${call.callId}.wav`)
    expect(row).toMatchObject({name: `${call.callId}`, queue: 'rec', agent: 'a1', number: '+15550200001', state: 'done', format: 'wav', hostPath: file, sizeBytes: statSync(file).size})
    expect(mode(file)).toBe(0o640)
    expect(mode(spool) & 0o007).toBe(0)
    expect(Math.abs(row.durationMs! - talkMs)).toBeLessThanOrEqual(1000)

    const [exported] = await exportRecordings(recordings, {callId: call.callId}, out!, () => rest)
    expect(exported).toMatchObject({file: join(out!, `${call.callId}.wav`), from: 'spool'})
    expect(mode(exported!.file)).toBe(0o640)
    const wav = parseWav(readFileSync(exported!.file))
    expect(wav).toMatchObject({sampleRate: 8000, channels: 1, bitsPerSample: 16})
    expect(Math.abs(wav.durationMs - talkMs)).toBeLessThanOrEqual(1000)
    const audio = mono(wav)
    expect(rms(audio)).toBeGreaterThan(0.02)
    // Both parties are heard, and the energy is in their tones, not in noise.
    expect(toneShare(audio, wav.sampleRate, 440)).toBeGreaterThan(0.15)
    expect(toneShare(audio, wav.sampleRate, 1000)).toBeGreaterThan(0.15)
    expect(toneShare(audio, wav.sampleRate, 700)).toBeLessThan(0.01)

    // From another machine (no spool path) the same file comes over ARI.
    db.prepare('UPDATE recordings SET host_path = NULL WHERE name = ?').run(row.name)
    const [downloaded] = await exportRecordings(recordings, {name: row.name}, join(out!, 'over-ari.wav'), () => rest)
    expect(downloaded).toMatchObject({from: 'asterisk'})
    expect(readFileSync(downloaded!.file)).toEqual(readFileSync(exported!.file))
    expect(mode(downloaded!.file)).toBe(0o640)

    // The commands, as cron and supervisors run them.
    db.prepare('UPDATE recordings SET host_path = ? WHERE name = ?').run(file, row.name)
    const listed = await runCli(['recordings', 'list', '--call', call.callId, '--json'], cliEnv)
    expect(listed.code).toBe(0)
    // The stored row as --json prints it: the one contract (docs/json.md).
    expect(JSON.parse(listed.stdout)).toEqual(toJsonContract({recordings: [{...row, hostPath: file}]}))
    const cliFile = join(out!, 'cli.wav')
    const cliExport = await runCli(['recordings', 'export', '--call', call.callId, '--out', cliFile], cliEnv)
    expect(cliExport).toMatchObject({code: 0, stderr: ''})
    expect(readFileSync(cliFile)).toEqual(readFileSync(exported!.file))
    expect(mode(cliFile)).toBe(0o640)
    const dry = await runCli(['recordings', 'purge', '--older-than', '1s', '--dry-run', '--json'], cliEnv)
    expect(JSON.parse(dry.stdout)).toMatchObject({dry_run: true, matched: 1, deleted: 0, names: [row.name]})
    expect(existsSync(file)).toBe(true)
    const purged = await runCli(['recordings', 'purge', '--older-than', '1s', '--json'], cliEnv)
    expect(purged.code).toBe(0)
    expect(JSON.parse(purged.stdout)).toMatchObject({matched: 1, deleted: 1, already_gone: 0, failed: []})
    expect(existsSync(file)).toBe(false)
    expect(await listRecordings(recordings, {})).toEqual([])
    const gone = await rest.downloadStoredRecording(row.name).then(() => null, (err: unknown) => err)
    expect(isNotFound(gone)).toBe(true)
  })

  it('a queue with record off leaves no recording', async () => {
    const {h, spool} = await recordingEngine(false)
    await h.call({number: '+15550200002', did: 'rec', patience: 30})
    const call = await h.ended('+15550200002')
    expect(call.outcome).toBe('completed')
    expect(call.connectedAt).not.toBeNull()
    await new Promise((r) => setTimeout(r, 500))
    expect(await listRecordings(repositoriesOf(recStore!).recordings, {})).toEqual([])
    expect(readdirSync(spool).filter((f) => f.includes(call.callId))).toEqual([])
  })
})
