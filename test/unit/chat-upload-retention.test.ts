import {existsSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync} from 'node:fs'
import type {IncomingMessage} from 'node:http'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {Readable} from 'node:stream'
import {afterAll, describe, expect, it} from 'vitest'
import {Uploads} from '../../src/engine/chat/channels/web/uploads.js'
import {liveUploadsFromLog, startUploadRetention, uploadNameOf, uploadsIn} from '../../src/engine/chat/upload-retention.js'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'
import type {Logger} from '../../src/engine/util/log.js'

// The web widget's images are deleted once older than chat.uploadsRetention, on real files
// whose mtime is set in the past: not the young ones, not those a conversation still open
// shows, nothing else in the directory; the count is logged and the total goes down.

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64')
const DAY = 86_400_000
const dir = mkdtempSync(join(tmpdir(), 'callctl-retention-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

const body = (b: Buffer) => Object.assign(Readable.from([b]), {headers: {}}) as unknown as IncomingMessage
const age = (file: string, days: number, now: number) => utimesSync(file, new Date(now - days * DAY), new Date(now - days * DAY))

function recordingLog(): Logger & {lines: string[]} {
  const lines: string[] = []
  const add = (m: string) => void lines.push(m)
  return {lines, debug: add, info: add, warn: add, error: add}
}

describe('chat upload retention', () => {
  it('removes uploads older than the retention, keeps young ones, those of open conversations and other files; logs the count', async () => {
    const now = Date.now()
    const up = new Uploads(join(dir, 'a'), 1024, 4 * PNG.length)
    const old1 = await up.take(body(PNG), 'v1')
    const old2 = await up.take(body(PNG), 'v2')
    const shown = await up.take(body(PNG), 'v3')
    const young = await up.take(body(PNG), 'v4')
    for (const f of [old1, old2, shown]) age(join(dir, 'a', f.file), 100, now)
    age(join(dir, 'a', young.file), 89, now)
    writeFileSync(join(dir, 'a', 'README'), 'not an upload')
    age(join(dir, 'a', 'README'), 400, now)
    // An open conversation shows `shown` (by its public URL).
    const live = uploadsIn([{lines: [{}, {image: {url: `https://chat.example.com/chat/uploads/${shown.file}`}}]}])
    expect(live).toEqual(new Set([shown.file]))
    const log = recordingLog()
    const r = startUploadRetention({uploads: up, keepMs: 90 * DAY, live: () => live, log, now: () => now})
    r.stop()
    expect(readdirSync(join(dir, 'a')).sort()).toEqual([shown.file, young.file, 'README'].sort())
    expect(log.lines).toEqual([`chat uploads: 2 older than 90 days removed (0 KiB), 1 kept for conversations still open`])
    // Served no more, and their room is free again: the directory's total went down by two.
    expect(up.read(old1.file)).toBeUndefined()
    expect(up.ownedBy(old1.id, 'v1')).toBeUndefined()
    await up.take(body(PNG), 'v5')
    await up.take(body(PNG), 'v6')
    // Nothing more to remove: the next run logs nothing.
    expect(r.run()).toMatchObject({removed: 0, kept: 1})
    expect(log.lines).toHaveLength(2)
  })

  it('a retention of 0 keeps everything', async () => {
    const now = Date.now()
    const up = new Uploads(join(dir, 'b'), 1024)
    const f = await up.take(body(PNG), 'v1')
    age(join(dir, 'b', f.file), 5000, now)
    const r = startUploadRetention({uploads: up, keepMs: 0, live: () => new Set(), log: recordingLog(), now: () => now})
    r.stop()
    expect(r.run()).toBeNull()
    expect(existsSync(join(dir, 'b', f.file))).toBe(true)
  })

  it("finds the uploads of conversations the log has open (the command's view, no engine)", async () => {
    const store = new SqliteStore(':memory:')
    const a = 'A'.repeat(32) + '.png'
    const b = 'B'.repeat(32) + '.jpg'
    const now = Date.now()
    const e = (type: 'chat.started' | 'chat.message' | 'chat.closed', callId: string, data: Record<string, unknown> = {}) => store.appendEvents([{type, ts: now - 1000, callId, data, origin: 't'}])
    await e('chat.started', 'open1', {channel: 'web'})
    await e('chat.message', 'open1', {from: 'customer', kind: 'image', image: {url: `http://127.0.0.1:8090/chat/uploads/${a}`, mime: 'image/png'}})
    await e('chat.started', 'done1', {channel: 'web'})
    await e('chat.message', 'done1', {from: 'customer', kind: 'image', image: {url: `http://127.0.0.1:8090/chat/uploads/${b}`, mime: 'image/jpeg'}})
    await e('chat.closed', 'done1', {reason: 'agent'})
    expect(await liveUploadsFromLog(store, now)).toEqual(new Set([a]))
    expect(uploadNameOf('https://mmbiz.qpic.cn/x.png')).toBeNull()
    expect(uploadNameOf(`/chat/uploads/../${a}`)).toBeNull()
    await store.close()
  })
})
