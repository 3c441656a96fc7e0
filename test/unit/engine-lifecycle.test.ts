import {spawn} from 'node:child_process'
import {mkdtempSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {writeEndpoint} from '../../src/engine/api/connect.js'
import {AsteriskLink} from '../../src/engine/asterisk-link.js'
import {EventLog} from '../../src/engine/calls/event-log.js'
import {acquireEngineLock, engineLockFile, lockHolder} from '../../src/engine/engine-lock.js'
import type {NewEvent} from '../../src/engine/store/events.js'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'
import {replaySpilledEvents, spillEvents} from '../../src/engine/unwritten-events.js'
import {watchStore} from '../../src/engine/store-watch.js'
import {createLogger, type Logger} from '../../src/engine/util/log.js'
import {callctlPaths} from '../../src/engine/util/paths.js'
import {UserError} from '../../src/engine/util/errors.js'
import {AriHttp} from '../../src/engine/ari/index.js'
import {freePort} from '../../src/engine/util/net.js'
import {renderDashboard, liveState, fixtureSnapshot} from '../support/dashboard.js'
import {plainBoard} from '../../src/ui/dashboard/plain.js'
import {buildBoard} from '../../src/ui/dashboard/board.js'
import {DEFAULT_THRESHOLDS} from '../../src/ui/dashboard/thresholds.js'

const homes: string[] = []
const home = () => {
  const h = mkdtempSync(join(tmpdir(), 'callctl-life-'))
  homes.push(h)
  return callctlPaths({CALLCTL_HOME: h})
}
afterEach(() => {
  for (const h of homes.splice(0)) rmSync(h, {recursive: true, force: true})
})

function recordingLog(): Logger & {lines: {level: string; msg: string}[]} {
  const lines: {level: string; msg: string}[] = []
  const base = createLogger({level: 'error'})
  const at = (level: string) => (msg: string) => void lines.push({level, msg})
  return Object.assign(Object.create(base) as Logger, {lines, info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug')})
}

describe('the engine lock: one engine per app, decided before Asterisk', () => {
  it('refuses a second engine naming the first one (pid and API address), exit 2', () => {
    const paths = home()
    // The running engine: another live process.
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'])
    try {
      acquireEngineLock(paths, 'callctl', other.pid!)
      writeEndpoint(paths, {url: 'ws://127.0.0.1:8089/', pid: other.pid!, app: 'callctl', startedAt: '2026-12-06T10:00:00.000Z'})
      let err: unknown
      try {
        acquireEngineLock(paths, 'callctl')
      } catch (e) {
        err = e
      }
      expect(err).toBeInstanceOf(UserError)
      expect((err as UserError).exitCode).toBe(2)
      expect((err as UserError).message).toMatch(new RegExp(`^An engine for app "callctl" is already running \\(pid ${other.pid}, API ws://127\\.0\\.0\\.1:8089/, since \\d{4}-`))
      expect(lockHolder(paths, 'callctl')?.pid).toBe(other.pid)
      // Another app is another engine: allowed.
      acquireEngineLock(paths, 'other-app').release()
    } finally {
      other.kill('SIGKILL')
    }
  })

  it('takes over the lock of an engine that died without releasing it (SIGKILL)', async () => {
    const paths = home()
    const dead = spawn(process.execPath, ['-e', '0'])
    await new Promise((r) => dead.once('exit', r))
    acquireEngineLock(paths, 'callctl', dead.pid!)
    expect(lockHolder(paths, 'callctl')).toBeNull()
    const lock = acquireEngineLock(paths, 'callctl')
    expect(lockHolder(paths, 'callctl')?.pid).toBe(process.pid)
    lock.release()
    expect(readdirSync(paths.home).filter((n) => n.endsWith('.lock'))).toEqual([])
  })

  it('takes over an unreadable lock (a crash while writing it), and never removes a lock it does not own', () => {
    const paths = home()
    writeFileSync(engineLockFile(paths, 'callctl'), '{"pi')
    const mine = acquireEngineLock(paths, 'callctl')
    // Someone else's lock now (taken over after we were presumed dead): release leaves it.
    writeFileSync(engineLockFile(paths, 'callctl'), JSON.stringify({pid: 1, app: 'callctl', startedAt: ''}))
    mine.release()
    expect(readdirSync(paths.home)).toContain('engine-callctl.lock')
  })

  it('works in a callctl home that does not exist yet (a new user\'s first demo)', () => {
    const paths = callctlPaths({CALLCTL_HOME: join(home().home, 'new', 'home')})
    acquireEngineLock(paths, 'callctl').release()
    expect(readdirSync(paths.home)).toEqual([])
  })

  it('keeps app names with odd characters to a safe file name', () => {
    const paths = home()
    expect(engineLockFile(paths, '../客服 app')).toMatch(new RegExp(`^${paths.home}/engine-app-[0-9a-f]{8}\\.lock$`))
    expect(engineLockFile(paths, 'callctl')).toBe(join(paths.home, 'engine-callctl.lock'))
    // Two names that differ only in what the file system cannot take are two locks.
    expect(engineLockFile(paths, '客服')).not.toBe(engineLockFile(paths, '售后'))
    acquireEngineLock(paths, '客服')
    acquireEngineLock(paths, '售后').release()
  })
})

describe('the Asterisk link: one view, logged once and then every minute', () => {
  it('counts attempts across an outage and logs its start, each minute of it, and its end', () => {
    let now = 1_000_000
    const log = recordingLog()
    const outages: string[] = []
    const backs: number[] = []
    const link = new AsteriskLink({url: 'http://127.0.0.1:8088', log, now: () => now, onOutage: (e) => outages.push(e), onBack: (ms) => backs.push(ms)})
    link.update({state: 'connecting', attempt: 1})
    link.update({state: 'connected'})
    expect(link.current).toMatchObject({state: 'connected', attempts: 0})
    // Two and a half minutes down, an attempt a second.
    for (let attempt = 1; attempt <= 150; attempt++) {
      link.update({state: 'connecting', attempt})
      link.update({state: 'unreachable', attempt, retryInMs: 1000, error: 'ECONNREFUSED'})
      now += 1000
    }
    expect(link.current).toMatchObject({state: 'unreachable', attempts: 150, since: 1_000_000, error: 'ECONNREFUSED'})
    const warns = log.lines.filter((l) => l.level === 'warn').map((l) => l.msg)
    expect(warns).toEqual([
      'Asterisk at http://127.0.0.1:8088 is unreachable (ECONNREFUSED); retrying every second or so',
      'Asterisk at http://127.0.0.1:8088 still unreachable after 60 s (ECONNREFUSED)',
      'Asterisk at http://127.0.0.1:8088 still unreachable after 120 s (ECONNREFUSED)',
    ])
    expect(outages).toEqual(['ECONNREFUSED'])
    link.update({state: 'connected'})
    expect(backs).toEqual([150_000])
    expect(log.lines.at(-1)!.msg).toBe('Asterisk at http://127.0.0.1:8088 is back after 150.0 s (150 attempts)')
    expect(link.current).toMatchObject({state: 'connected', attempts: 0, since: now})
  })

  it('shows on the dashboard as a banner and in dashboard --once', async () => {
    const snap = {...fixtureSnapshot(), link: {state: 'unreachable' as const, since: fixtureSnapshot().at - 65_000, attempts: 64, error: 'ECONNREFUSED', url: 'http://127.0.0.1:8088'}}
    const r = renderDashboard({state: liveState(snap)})
    const frame = r.frame()
    expect(frame.split('\n')[3]!.trimEnd()).toBe(' ASTERISK UNREACHABLE 1:05 · no new calls answered · 64 attempts · ECONNREFUSED')
    // The status line with the keys still fits in the frame.
    expect(frame.split('\n')).toHaveLength(29)
    r.unmount()
    // At 80 x 24 (found in tmux: the end of the line was cut) what matters still shows.
    const narrow = renderDashboard({state: liveState(snap), props: {size: {columns: 80, rows: 24}}})
    expect(narrow.frame()).toMatch(/ ASTERISK UNREACHABLE 1:05 · no new calls answered · 64 attempts/)
    narrow.unmount()
    const text = plainBoard(buildBoard(snap, {thresholds: DEFAULT_THRESHOLDS}), 'UTC')
    expect(text).toMatch(/asterisk +UNREACHABLE for 1:05 \(64 attempts; ECONNREFUSED\): no new calls answered/)
    // Connected: nothing extra.
    expect(renderDashboard({state: liveState({...snap, link: {...snap.link, state: 'connected'}})}).frame()).not.toContain('ASTERISK')
  })
})

describe('a stop is a stop: the last events are written or kept, never retried forever', () => {
  const event = (i: number): NewEvent => ({type: 'agent.login', ts: 1000 + i, agent: `a${i}`, origin: 'test'})

  it('close() gives up on a store that will not take them within its time, and stops retrying', async () => {
    let tries = 0
    const failing = {
      appendEvents: async () => {
        tries++
        throw new Error('The database connection is not open')
      },
    } as unknown as SqliteStore
    const log = recordingLog()
    const events = new EventLog(failing, {now: () => Date.now()} as never, log, 'engine-1')
    for (let i = 0; i < 6; i++) events.append(event(i))
    const t0 = Date.now()
    await events.close(300)
    expect(Date.now() - t0).toBeLessThan(2000)
    const left = events.takeUnwritten()
    expect(left).toHaveLength(6)
    const after = tries
    await new Promise((r) => setTimeout(r, 700))
    // No background retry after the close (it once ran for ten minutes).
    expect(tries).toBe(after)
  })

  it('spilled events are written by the next start, oldest file first, and the files removed', async () => {
    const paths = home()
    spillEvents(paths.home, [event(1), event(2)], 111)
    await new Promise((r) => setTimeout(r, 5))
    spillEvents(paths.home, [event(3)], 222)
    const store = new SqliteStore(join(paths.home, 'callctl.db'))
    try {
      expect(await replaySpilledEvents(paths.home, store, recordingLog())).toBe(3)
      const got: string[] = []
      for await (const e of store.events()) got.push(e.agent!)
      expect(got).toEqual(['a1', 'a2', 'a3'])
      expect(readdirSync(paths.home).filter((n) => n.startsWith('unwritten-events-'))).toEqual([])
      expect(await replaySpilledEvents(paths.home, store, recordingLog())).toBe(0)
    } finally {
      await store.close()
    }
  })
})

describe('an Asterisk that does not answer is the world, not a bug', () => {
  it('is a one-line user error (exit 3, code asterisk_unreachable) wherever it surfaces', async () => {
    const port = await freePort()
    const err = await new AriHttp({url: `http://127.0.0.1:${port}`, user: 'u', password: 'p'}).listChannels().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(UserError)
    expect(err).toMatchObject({exitCode: 3, code: 'asterisk_unreachable', message: expect.stringMatching(/no answer from Asterisk \(ECONNREFUSED\)/)})
  })
})

describe('the database file taken away under the engine', () => {
  it('is saved back from the open handle even when its whole directory was removed', async () => {
    const dir = join(home().home, 'gone-with-it')
    const file = join(dir, 'callctl.db')
    const store = new SqliteStore(file)
    await store.appendEvents([{type: 'agent.login', ts: 1, agent: 'a1', origin: 't'}])
    const watch = watchStore(store, recordingLog())
    try {
      rmSync(dir, {recursive: true, force: true})
      expect(await watch.lost).toBe('removed')
      expect(await watch.saveIfLost()).toBe(file)
    } finally {
      watch.stop()
      await store.close()
    }
    const back = new SqliteStore(file)
    try {
      const got: string[] = []
      for await (const e of back.events()) got.push(e.agent!)
      expect(got).toEqual(['a1'])
    } finally {
      await back.close()
    }
  })

  it('spills events into a home that is gone', () => {
    const dir = join(home().home, 'no', 'such')
    expect(readdirSync(join(spillEvents(dir, [{type: 'agent.login', ts: 1, agent: 'a1'}]), '..'))).toHaveLength(1)
  })
})
