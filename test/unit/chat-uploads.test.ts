import {mkdtempSync, readdirSync, rmSync, statSync} from 'node:fs'
import type {IncomingMessage} from 'node:http'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {Readable} from 'node:stream'
import {afterAll, describe, expect, it} from 'vitest'
import {UploadRefused, Uploads} from '../../src/engine/chat/channels/web/uploads.js'

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64')
const dir = mkdtempSync(join(tmpdir(), 'callctl-uploads-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

const body = (b: Buffer, headers: Record<string, string> = {}) => Object.assign(Readable.from([b]), {headers}) as unknown as IncomingMessage
const refusal = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => (e instanceof UploadRefused ? [e.status, e.code] : String(e)))

describe('image uploads', () => {
  it('keeps an image under an unguessable name, readable 0600, sent only by its visitor', async () => {
    const up = new Uploads(join(dir, 'a'), 1024)
    const kept = await up.take(body(PNG), 'v_1')
    expect(kept).toMatchObject({mime: 'image/png', bytes: PNG.length, visitor: 'v_1'})
    expect(kept.file).toMatch(/^[A-Za-z0-9_-]{32}\.png$/)
    expect(statSync(join(dir, 'a', kept.file)).mode & 0o777).toBe(0o600)
    expect(up.ownedBy(kept.id, 'v_1')).toBe(kept)
    expect(up.ownedBy(kept.id, 'v_2')).toBeUndefined()
    expect(up.read(kept.file)).toEqual({body: PNG, mime: 'image/png'})
    expect(up.read('../../etc/passwd')).toBeUndefined()
    expect(up.read(kept.file.replace('.png', '.jpg'))).toBeUndefined()
  })

  it('refuses by the bytes: not an image, empty, over the size (declared or read), and beyond the directory total', async () => {
    const up = new Uploads(join(dir, 'b'), 1024, 3 * PNG.length)
    expect(await refusal(up.take(body(Buffer.from('<svg onload=alert(1)>')), 'v'))).toEqual([415, 'not_an_image'])
    expect(await refusal(up.take(body(Buffer.alloc(0)), 'v'))).toEqual([400, 'empty_upload'])
    expect(await refusal(up.take(body(Buffer.concat([PNG, Buffer.alloc(2000)])), 'v'))).toEqual([413, 'too_large'])
    expect(await refusal(up.take(body(PNG, {'content-length': '999999'}), 'v'))).toEqual([413, 'too_large'])
    for (let i = 0; i < 3; i++) await up.take(body(PNG), 'v')
    expect(await refusal(up.take(body(PNG), 'v'))).toEqual([507, 'uploads_full'])
    expect(readdirSync(join(dir, 'b'))).toHaveLength(3)
    // A restart counts what is already there.
    expect(await refusal(new Uploads(join(dir, 'b'), 1024, 3 * PNG.length).take(body(PNG), 'v'))).toEqual([507, 'uploads_full'])
  })
})
