import {createCipheriv, createDecipheriv, createHash, randomBytes} from 'node:crypto'
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {channelsSettings} from '../../src/engine/chat/channels/channels-config.js'
import {startChannels, type RunningChannels} from '../../src/engine/chat/channels/start-channels.js'
import {parseWechatXml} from '../../src/engine/chat/channels/wechat/wechat-xml.js'
import {callctlPaths} from '../../src/engine/util/paths.js'
import {createLogger} from '../../src/engine/util/log.js'
import {ChatCoreDouble} from '../support/chat-core-double.js'
import {FakeWechat} from '../support/fake-wechat.js'

// The official account's webhook in safe (安全模式) and compatible mode (兼容模式) against
// the real chat server, as chat-wechat.test.ts does for plaintext mode. WeChat's side is
// written here from the documented format (AES-256-CBC, IV = the key's first 16 bytes,
// 16 random bytes + length + XML + AppID, PKCS#7 to 32 bytes, msg_signature over the
// sorted token, timestamp, nonce and Encrypt), not with the engine's code.

const TOKEN = 'wechat-secure-token'
const APP_ID = 'wx0123456789abcdef'
const ENCODING_AES_KEY = 'Zk9zK3VhN2JpY2V1cXJ0eXNwd2RmZ2hqa2x6eGN2Ym5'
const AES_KEY = Buffer.from(ENCODING_AES_KEY + '=', 'base64')
/** The key before the console's last change (修改 EncodingAESKey). */
const OLD_ENCODING_AES_KEY = 'b2xkS2V5QmVmb3JlVGhlQ2hhbmdlSW5UaGVDb25zb2x'
const OLD_AES_KEY = Buffer.from(OLD_ENCODING_AES_KEY + '=', 'base64')
const home = mkdtempSync(join(tmpdir(), 'callctl-wechat-aes-'))
const wechat = new FakeWechat(APP_ID, 'app-secret-xyz')
const safeCore = new ChatCoreDouble()
const compatCore = new ChatCoreDouble()
const changedCore = new ChatCoreDouble()
let safe: RunningChannels
let compat: RunningChannels
let changed: RunningChannels
let images: Server
let imagesUrl = ''
const logs: string[] = []

// The smallest PNG (1x1) and a WebP header WeChat does not take.
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6300010000050001' + '0d0a2db40000000049454e44ae426082', 'hex')
const WEBP = Buffer.concat([Buffer.from('RIFF\x24\x00\x00\x00WEBPVP8 ', 'latin1'), Buffer.alloc(24)])

function pkcs7(b: Buffer): Buffer {
  const pad = 32 - (b.length % 32)
  return Buffer.concat([b, Buffer.alloc(pad, pad)])
}
function aes(plain: Buffer, key: Buffer = AES_KEY): string {
  const c = createCipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false)
  return Buffer.concat([c.update(plain), c.final()]).toString('base64')
}
function wxEncrypt(xml: string, o: {appId?: string; key?: Buffer} = {}): string {
  const body = Buffer.from(xml, 'utf8')
  const len = Buffer.alloc(4)
  len.writeUInt32BE(body.length)
  return aes(pkcs7(Buffer.concat([randomBytes(16), len, body, Buffer.from(o.appId ?? APP_ID)])), o.key)
}
function wxDecrypt(encrypt: string, key: Buffer = AES_KEY): {xml: string; appId: string} {
  const d = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false)
  const plain = Buffer.concat([d.update(Buffer.from(encrypt, 'base64')), d.final()])
  const content = plain.subarray(16, plain.length - plain[plain.length - 1]!)
  const n = content.readUInt32BE(0)
  return {xml: content.subarray(4, 4 + n).toString('utf8'), appId: content.subarray(4 + n).toString('utf8')}
}
const sha1 = (parts: string[]) => createHash('sha1').update([...parts].sort().join('')).digest('hex')
const now = () => String(Math.floor(Date.now() / 1000))
let nonceNo = 0
/** The URL WeChat calls in an encrypted mode: signature (token, timestamp, nonce) and msg_signature (… and Encrypt). */
function encryptedQuery(encrypt: string, o: {ts?: string; msgToken?: string} = {}): string {
  const ts = o.ts ?? now()
  const nonce = String(1_000_000 + ++nonceNo)
  return new URLSearchParams({signature: sha1([TOKEN, ts, nonce]), timestamp: ts, nonce, openid: 'oCust', encrypt_type: 'aes', msg_signature: sha1([o.msgToken ?? TOKEN, ts, nonce, encrypt])}).toString()
}
function plainQuery(): string {
  const ts = now()
  const nonce = String(1_000_000 + ++nonceNo)
  return new URLSearchParams({signature: sha1([TOKEN, ts, nonce]), timestamp: ts, nonce}).toString()
}
const cdata = (fields: Record<string, string>) => Object.entries(fields).map(([k, v]) => (/^\d+$/.test(v) ? `<${k}>${v}</${k}>` : `<${k}><![CDATA[${v}]]></${k}>`)).join('')
let msgId = 5000
const textFields = (from: string, content: string) => ({ToUserName: 'gh_account', FromUserName: from, CreateTime: now(), MsgType: 'text', Content: content, MsgId: String(++msgId)})
/** Safe mode's body: the account and Encrypt only. */
const safeBody = (encrypt: string) => `<xml><ToUserName><![CDATA[gh_account]]></ToUserName><Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`
const post = (ch: RunningChannels, query: string, body: string) => fetch(`${ch.url}/wechat?${query}`, {method: 'POST', headers: {'content-type': 'text/xml'}, body})

beforeAll(async () => {
  await wechat.start()
  writeFileSync(join(home, 'token'), TOKEN + '\n', {mode: 0o600})
  writeFileSync(join(home, 'app-secret'), 'app-secret-xyz\n', {mode: 0o600})
  writeFileSync(join(home, 'aes-key'), ENCODING_AES_KEY + '\n', {mode: 0o600})
  writeFileSync(join(home, 'aes-key.old'), OLD_ENCODING_AES_KEY + '\n', {mode: 0o600})
  const log = createLogger({level: 'debug', write: (l) => logs.push(l)})
  const wx = {tokenFile: join(home, 'token'), appId: APP_ID, encodingAesKeyFile: join(home, 'aes-key'), replyWaitMs: 300}
  const paths = callctlPaths({CALLCTL_HOME: home})
  safe = await startChannels(channelsSettings({web: {port: 0}, wechat: {...wx, mode: 'safe', appSecretFile: join(home, 'app-secret'), apiBase: wechat.url}}, paths, {})!, safeCore, log)
  compat = await startChannels(channelsSettings({web: {port: 0}, wechat: {...wx, mode: 'compatible'}}, paths, {})!, compatCore, log)
  changed = await startChannels(channelsSettings({web: {port: 0}, wechat: {...wx, mode: 'safe', previousEncodingAesKeyFile: join(home, 'aes-key.old')}}, paths, {})!, changedCore, log)
  images = createServer((req, res) => {
    const body = req.url === '/photo.png' ? PNG : req.url === '/photo.webp' ? WEBP : null
    res.writeHead(body ? 200 : 404, {'content-type': 'application/octet-stream'})
    res.end(body ?? '')
  })
  await new Promise<void>((r) => images.listen(0, '127.0.0.1', r))
  imagesUrl = `http://127.0.0.1:${(images.address() as AddressInfo).port}`
})
afterAll(async () => {
  await safe?.stop()
  await compat?.stop()
  await changed?.stop()
  await wechat.stop()
  await new Promise<void>((r) => (images ? images.close(() => r()) : r()))
  rmSync(home, {recursive: true, force: true})
})

describe('safe mode (安全模式)', () => {
  it('a signed, encrypted text reaches the chat core once, even when WeChat retries it', async () => {
    const encrypt = wxEncrypt(`<xml>${cdata(textFields('oSafe_1', '我的包裹在哪里？'))}</xml>`)
    const r = await post(safe, encryptedQuery(encrypt), safeBody(encrypt))
    expect(r.status).toBe(200)
    expect(await r.text()).toBe('success')
    await post(safe, encryptedQuery(encrypt), safeBody(encrypt))
    expect(safeCore.inbound.filter((m) => m.customer === 'oSafe_1')).toEqual([{channel: 'wechat', customer: 'oSafe_1', text: '我的包裹在哪里？', channelMessageId: String(msgId)}])
  })

  it('the passive reply is encrypted and signed: WeChat can check it and read it', async () => {
    safeCore.autoReply = (m) => (m.customer === 'oSafe_2' ? `You said: ${m.text}` : null)
    const encrypt = wxEncrypt(`<xml>${cdata(textFields('oSafe_2', 'hi'))}</xml>`)
    const r = await post(safe, encryptedQuery(encrypt), safeBody(encrypt))
    safeCore.autoReply = null
    expect(r.status).toBe(200)
    const reply = await r.text()
    expect(reply).toMatch(/^<xml><Encrypt><!\[CDATA\[[A-Za-z0-9+/=]+\]\]><\/Encrypt><MsgSignature><!\[CDATA\[[0-9a-f]{40}\]\]><\/MsgSignature><TimeStamp>\d+<\/TimeStamp><Nonce><!\[CDATA\[\d+\]\]><\/Nonce><\/xml>$/)
    const outer = parseWechatXml(reply)
    expect(outer.MsgSignature).toBe(sha1([TOKEN, outer.TimeStamp!, outer.Nonce!, outer.Encrypt!]))
    expect(Math.abs(Number(outer.TimeStamp) - Date.now() / 1000)).toBeLessThan(60)
    const inner = wxDecrypt(outer.Encrypt!)
    expect(inner.appId).toBe(APP_ID)
    expect(parseWechatXml(inner.xml)).toMatchObject({ToUserName: 'oSafe_2', FromUserName: 'gh_account', MsgType: 'text', Content: 'You said: hi'})
    expect(reply).not.toContain('You said')
  })

  it('forged, tampered, stale, foreign-key, wrong-AppID and plaintext requests are refused (403) and never reach the core', async () => {
    const before = safeCore.inbound.length
    const refusedBefore = logs.filter((l) => l.includes('wechat: request refused')).length
    const xml = `<xml>${cdata(textFields('oForger', 'transfer the money'))}</xml>`
    const good = wxEncrypt(xml)
    const bytes = Buffer.from(good, 'base64')
    const flipped = Buffer.from(bytes)
    flipped[bytes.length - 40]! ^= 0x20
    const badPadding = (() => {
      const body = Buffer.from(xml)
      const len = Buffer.alloc(4)
      len.writeUInt32BE(body.length)
      const padded = pkcs7(Buffer.concat([randomBytes(16), len, body, Buffer.from(APP_ID)]))
      padded[padded.length - 2]! ^= 0x01 // the last byte still says N, the one before it does not
      return aes(padded)
    })()
    const cases: [string, string, string, RegExp][] = [
      ['msg_signature made without the token', encryptedQuery(good, {msgToken: 'guessed'}), safeBody(good), /msg_signature does not match/],
      ['Encrypt changed after signing', encryptedQuery(good), safeBody(flipped.toString('base64')), /msg_signature does not match/],
      ['re-signed garbage (the token leaked, not the key)', encryptedQuery(randomBytes(96).toString('base64')), '', /padding|AppID|length/],
      ['another account’s key', '', '', /padding|AppID|length/],
      ['another AppID', '', '', /AppID in the message does not match/],
      ['bad PKCS#7 padding', encryptedQuery(badPadding), safeBody(badPadding), /bad padding/],
      ['not base64', encryptedQuery('%%%'), safeBody('%%%'), /not base64/],
      ['no Encrypt', encryptedQuery(''), `<xml>${cdata(textFields('oForger', 'x'))}</xml>`, /without Encrypt/],
      ['a replay an hour later', encryptedQuery(good, {ts: String(Math.floor(Date.now() / 1000) - 3600)}), safeBody(good), /timestamp more than 300 s/],
      ['plaintext in safe mode', plainQuery(), `<xml>${cdata(textFields('oForger', 'x'))}</xml>`, /not encrypted/],
    ]
    // Cases whose Encrypt is made below, signed correctly for it.
    const signedFor = (encrypt: string): [string, string] => [encryptedQuery(encrypt), safeBody(encrypt)]
    ;[cases[2]![1], cases[2]![2]] = (() => {
      const e = randomBytes(96).toString('base64')
      return signedFor(e)
    })()
    ;[cases[3]![1], cases[3]![2]] = signedFor(wxEncrypt(xml, {key: randomBytes(32)}))
    ;[cases[4]![1], cases[4]![2]] = signedFor(wxEncrypt(xml, {appId: 'wxffffffffffffffff'}))
    for (const [what, query, body, why] of cases) {
      const r = await post(safe, query, body)
      expect(r.status, what).toBe(403)
      expect(await r.text(), what).toBe('forbidden')
      expect(logs.at(-1), what).toMatch(/wechat: request refused/)
      expect(logs.at(-1), what).toMatch(why)
    }
    expect(logs.filter((l) => l.includes('wechat: request refused')).length - refusedBefore).toBe(cases.length)
    expect(safeCore.inbound.length).toBe(before)
    expect([...safe.wechat!.refused.keys()].some((k) => /AppID/.test(k))).toBe(true)
    // The key, the token and the app secret appear in no log line.
    expect(logs.join('\n')).not.toMatch(new RegExp(`${ENCODING_AES_KEY}|${TOKEN}|app-secret-xyz`))
  })

  it('the URL check (GET) stays signed and plain, as WeChat sends it in every mode', async () => {
    const ts = now()
    const r = await fetch(`${safe.url}/wechat?${new URLSearchParams({signature: sha1([TOKEN, ts, '42']), timestamp: ts, nonce: '42', echostr: '5837397520665436492'})}`)
    expect(await r.text()).toBe('5837397520665436492')
  })
})

describe('compatible mode (兼容模式)', () => {
  it('a plaintext request is taken and answered in plain', async () => {
    compatCore.autoReply = (m) => (m.customer === 'oCompat_1' ? 'plain answer' : null)
    const r = await post(compat, plainQuery(), `<xml>${cdata(textFields('oCompat_1', 'hello'))}</xml>`)
    compatCore.autoReply = null
    const reply = parseWechatXml(await r.text())
    expect(reply).toMatchObject({ToUserName: 'oCompat_1', MsgType: 'text', Content: 'plain answer'})
    expect(reply.Encrypt).toBeUndefined()
  })

  it('an encrypted request is answered encrypted; only the encrypted fields count, not the plain copies beside them', async () => {
    compatCore.autoReply = (m) => (m.customer === 'oCompat_2' ? `got ${m.text}` : null)
    const real = textFields('oCompat_2', 'the real text')
    const encrypt = wxEncrypt(`<xml>${cdata(real)}</xml>`)
    // Compatible mode's body carries the fields in plain beside Encrypt; nothing signs those.
    const body = `<xml>${cdata({...real, FromUserName: 'oSomeoneElse', Content: 'a swapped text'})}<Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`
    const r = await post(compat, encryptedQuery(encrypt), body)
    compatCore.autoReply = null
    const outer = parseWechatXml(await r.text())
    expect(outer.MsgSignature).toBe(sha1([TOKEN, outer.TimeStamp!, outer.Nonce!, outer.Encrypt!]))
    expect(parseWechatXml(wxDecrypt(outer.Encrypt!).xml)).toMatchObject({ToUserName: 'oCompat_2', Content: 'got the real text'})
    expect(compatCore.inbound.at(-1)).toMatchObject({customer: 'oCompat_2', text: 'the real text'})
    expect(compatCore.inbound.some((m) => m.customer === 'oSomeoneElse')).toBe(false)
  })

  it('an encrypted request that is forged or for another AppID is refused like in safe mode', async () => {
    const before = compatCore.inbound.length
    const xml = `<xml>${cdata(textFields('oCompat_3', 'x'))}</xml>`
    const good = wxEncrypt(xml)
    expect((await post(compat, encryptedQuery(good, {msgToken: 'nope'}), safeBody(good))).status).toBe(403)
    const other = wxEncrypt(xml, {appId: 'wxffffffffffffffff'})
    expect((await post(compat, encryptedQuery(other), safeBody(other))).status).toBe(403)
    expect(compatCore.inbound.length).toBe(before)
  })
})

describe('a changed EncodingAESKey (修改 EncodingAESKey), the old one in previousEncodingAesKeyFile', () => {
  const ask = async (from: string, key: Buffer) => {
    changedCore.autoReply = (m) => (m.customer === from ? `re: ${m.text}` : null)
    const encrypt = wxEncrypt(`<xml>${cdata(textFields(from, 'where is my parcel'))}</xml>`, {key})
    const r = await post(changed, encryptedQuery(encrypt), safeBody(encrypt))
    changedCore.autoReply = null
    return {status: r.status, body: await r.text()}
  }
  const previousKeyLines = () => logs.filter((l) => l.includes('decrypted with the previous EncodingAESKey'))

  it('a message sealed with the current key: taken, answered with the current key, nothing said about the old one', async () => {
    const before = previousKeyLines().length
    const r = await ask('oKey_new', AES_KEY)
    expect(r.status).toBe(200)
    const outer = parseWechatXml(r.body)
    expect(parseWechatXml(wxDecrypt(outer.Encrypt!).xml)).toMatchObject({ToUserName: 'oKey_new', Content: 're: where is my parcel'})
    expect(previousKeyLines().length).toBe(before)
    expect(changed.wechat!.openedWithPreviousKey).toBe(0)
  })

  it('a message sealed with the old key: taken, logged without the key, answered with the key that opened it', async () => {
    const r = await ask('oKey_old', OLD_AES_KEY)
    expect(r.status).toBe(200)
    expect(changedCore.inbound.at(-1)).toMatchObject({customer: 'oKey_old', text: 'where is my parcel'})
    const outer = parseWechatXml(r.body)
    expect(outer.MsgSignature).toBe(sha1([TOKEN, outer.TimeStamp!, outer.Nonce!, outer.Encrypt!]))
    // WeChat's technical plan: 回包时，用哪个Key解密成功，则用此Key加密对应的回包.
    expect(parseWechatXml(wxDecrypt(outer.Encrypt!, OLD_AES_KEY).xml)).toMatchObject({ToUserName: 'oKey_old', Content: 're: where is my parcel'})
    expect(changed.wechat!.openedWithPreviousKey).toBe(1)
    expect(previousKeyLines()).toHaveLength(1)
    expect(previousKeyLines()[0]).toMatch(/info .*previousEncodingAesKeyFile.*remove that setting count=1$/)
    expect(logs.join('\n')).not.toMatch(new RegExp(`${OLD_ENCODING_AES_KEY}|${ENCODING_AES_KEY}|${OLD_AES_KEY.toString('hex')}`))
  })

  it('a message neither key opens is refused (403) as before, never reaching the core', async () => {
    const before = changedCore.inbound.length
    const r = await ask('oKey_stranger', randomBytes(32))
    expect(r).toEqual({status: 403, body: 'forbidden'})
    expect(logs.at(-1)).toMatch(/wechat: request refused why=(bad padding|AppID|decrypted length)/)
    expect(changedCore.inbound.length).toBe(before)
    // The old key does not stand in for the current one in an account that never had a change.
    const old = wxEncrypt(`<xml>${cdata(textFields('oKey_safe', 'x'))}</xml>`, {key: OLD_AES_KEY})
    expect((await post(safe, encryptedQuery(old), safeBody(old))).status).toBe(403)
  })
})

describe('an agent’s image to a WeChat customer', () => {
  const say = (url: string, mime: string, text?: string) =>
    safeCore.say(safeCore.conversationOf('wechat', 'oSafe_1')!, {kind: 'image', from: 'agent', agentName: 'Li', image: {url, mime}, ...(text ? {text} : {})})

  it('is uploaded as temporary media (multipart) and sent as an image message by its media_id', async () => {
    // A customer's upload kept by the chat server is read from disk, not fetched.
    const name = 'A'.repeat(32) + '.png'
    writeFileSync(join(safe.uploads.dir, name), PNG, {mode: 0o600})
    await say(`${safe.url}/chat/uploads/${name}`, 'image/png', 'Here is the label')
    expect(wechat.uploads).toHaveLength(1)
    const up = wechat.uploads[0]!
    expect(up.body.equals(PNG)).toBe(true)
    expect(up.contentType).toBe('image/png')
    expect(up.filename).toMatch(/\.png$/)
    expect(wechat.sent.slice(-2)).toEqual([
      {touser: 'oSafe_1', msgtype: 'text', text: {content: 'Li: Here is the label'}},
      {touser: 'oSafe_1', msgtype: 'image', image: {media_id: up.mediaId}},
    ])
    // An image elsewhere is fetched, checked to be one, and uploaded the same way.
    await say(`${imagesUrl}/photo.png`, 'image/png')
    expect(wechat.uploads).toHaveLength(2)
    expect(wechat.sent.at(-1)).toEqual({touser: 'oSafe_1', msgtype: 'image', image: {media_id: wechat.uploads[1]!.mediaId}})
  })

  it('goes as its link, with a log line, when the upload fails or WeChat does not take the type', async () => {
    wechat.failUploads = true
    await say(`${imagesUrl}/photo.png`, 'image/png')
    wechat.failUploads = false
    expect(wechat.sent.at(-1)).toEqual({touser: 'oSafe_1', msgtype: 'text', text: {content: `Li: ${imagesUrl}/photo.png`}})
    expect(logs.at(-1)).toMatch(/wechat: image not uploaded; sent as a link.*40009/)
    await say(`${imagesUrl}/photo.webp`, 'image/webp')
    expect(wechat.sent.at(-1)).toEqual({touser: 'oSafe_1', msgtype: 'text', text: {content: `Li: ${imagesUrl}/photo.webp`}})
    expect(logs.at(-1)).toMatch(/not image\/webp/)
    await say(`${imagesUrl}/missing.png`, 'image/png')
    expect(wechat.sent.at(-1)).toMatchObject({msgtype: 'text'})
    expect(wechat.uploads).toHaveLength(2)
  })
})
