import {createHash} from 'node:crypto'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {channelsSettings} from '../../src/engine/chat/channels/channels-config.js'
import {startChannels, type RunningChannels} from '../../src/engine/chat/channels/start-channels.js'
import {callctlPaths} from '../../src/engine/util/paths.js'
import {createLogger} from '../../src/engine/util/log.js'
import {ChatCoreDouble} from '../support/chat-core-double.js'
import {FakeWechat} from '../support/fake-wechat.js'
import {until} from '../support/wait.js'

// The official account's webhook against the real chat server: WeChat's requests signed
// as WeChat signs them (computed here independently of the engine's code), forged and
// stale ones refused before their body is read, the customer-service API out to a fake
// WeChat that answers in the documented formats.

const TOKEN = 'wechat-test-token'
const home = mkdtempSync(join(tmpdir(), 'callctl-wechat-'))
const core = new ChatCoreDouble()
const wechat = new FakeWechat('wx0123456789abcdef', 'app-secret-xyz')
let ch: RunningChannels
const logs: string[] = []

const sign = (ts: string, nonce: string, token = TOKEN) => createHash('sha1').update([token, ts, nonce].sort().join('')).digest('hex')
const now = () => String(Math.floor(Date.now() / 1000))
let nonceNo = 0
function signed(extra: Record<string, string> = {}, o: {ts?: string; token?: string} = {}): string {
  const ts = o.ts ?? now()
  const nonce = `n${++nonceNo}`
  return new URLSearchParams({signature: sign(ts, nonce, o.token), timestamp: ts, nonce, ...extra}).toString()
}
const xml = (fields: Record<string, string>) => `<xml>${Object.entries(fields).map(([k, v]) => (/^\d+$/.test(v) ? `<${k}>${v}</${k}>` : `<${k}><![CDATA[${v}]]></${k}>`)).join('')}</xml>`
let msgId = 1000
const textMsg = (from: string, content: string) => xml({ToUserName: 'gh_account', FromUserName: from, CreateTime: now(), MsgType: 'text', Content: content, MsgId: String(++msgId)})
const post = (query: string, body: string) => fetch(`${ch.url}/wechat?${query}`, {method: 'POST', headers: {'content-type': 'text/xml'}, body})

beforeAll(async () => {
  await wechat.start()
  writeFileSync(join(home, 'token'), TOKEN + '\n', {mode: 0o600})
  writeFileSync(join(home, 'app-secret'), 'app-secret-xyz\n', {mode: 0o600})
  const settings = channelsSettings({web: {port: 0}, wechat: {tokenFile: join(home, 'token'), appId: wechat.appId, appSecretFile: join(home, 'app-secret'), apiBase: wechat.url, replyWaitMs: 300}}, callctlPaths({CALLCTL_HOME: home}), {})!
  ch = await startChannels(settings, core, createLogger({level: 'debug', write: (l) => logs.push(l)}))
})
afterAll(async () => {
  await ch?.stop()
  await wechat.stop()
  rmSync(home, {recursive: true, force: true})
})

describe('WeChat URL check (GET with echostr)', () => {
  it('echoes echostr to a signed request', async () => {
    const r = await fetch(`${ch.url}/wechat?${signed({echostr: '8342617312841230123'})}`)
    expect(r.status).toBe(200)
    expect(await r.text()).toBe('8342617312841230123')
  })
  it('refuses a forged or stale one, echoing nothing', async () => {
    const forged = await fetch(`${ch.url}/wechat?${signed({echostr: 'e1'}, {token: 'guessed'})}`)
    expect(forged.status).toBe(403)
    expect(await forged.text()).not.toContain('e1')
    const stale = await fetch(`${ch.url}/wechat?${signed({echostr: 'e2'}, {ts: String(Math.floor(Date.now() / 1000) - 3600)})}`)
    expect(stale.status).toBe(403)
    const unsigned = await fetch(`${ch.url}/wechat?echostr=e3`)
    expect(unsigned.status).toBe(403)
  })
})

describe('WeChat messages (POST)', () => {
  it('a signed text reaches the chat core once, even when WeChat retries it', async () => {
    const body = textMsg('oCust_1', 'Where is my parcel?')
    const r = await post(signed(), body)
    expect(r.status).toBe(200)
    expect(await r.text()).toBe('success')
    await post(signed(), body)
    const got = core.inbound.filter((m) => m.customer === 'oCust_1')
    expect(got).toEqual([{channel: 'wechat', customer: 'oCust_1', text: 'Where is my parcel?', channelMessageId: String(msgId)}])
  })

  it('a forged, stale or unsigned POST is refused and nothing reaches the core', async () => {
    const before = core.inbound.length
    for (const q of [signed({}, {token: 'wrong'}), signed({}, {ts: String(Math.floor(Date.now() / 1000) - 301)}), 'timestamp=1&nonce=2', '']) {
      const r = await post(q, textMsg('oForger', 'hello'))
      expect(r.status, q).toBe(403)
    }
    // A signature made for other parameters does not carry over to changed ones.
    const good = new URLSearchParams(signed())
    good.set('nonce', 'other')
    expect((await post(good.toString(), textMsg('oForger', 'x'))).status).toBe(403)
    expect(core.inbound.length).toBe(before)
  })

  it('the bot’s quick answer goes back as the passive reply, in WeChat’s XML', async () => {
    core.autoReply = (m) => (m.customer === 'oCust_2' ? `You said: ${m.text} ]]> <a>` : null)
    const r = await post(signed(), textMsg('oCust_2', 'hi'))
    core.autoReply = null
    expect(r.headers.get('content-type')).toMatch(/xml/)
    const reply = await r.text()
    expect(reply).toMatch(/^<xml><ToUserName><!\[CDATA\[oCust_2\]\]><\/ToUserName><FromUserName><!\[CDATA\[gh_account\]\]><\/FromUserName><CreateTime>\d+<\/CreateTime><MsgType><!\[CDATA\[text\]\]><\/MsgType><Content>/)
    const {parseWechatXml} = await import('../../src/engine/chat/channels/wechat/wechat-xml.js')
    expect(parseWechatXml(reply).Content).toBe('You said: hi ]]> <a>')
    expect(wechat.sent.filter((s) => s.touser === 'oCust_2')).toEqual([])
  })

  it('an agent’s later answers go by the customer-service API; a token WeChat expired is fetched again', async () => {
    const conv = core.conversationOf('wechat', 'oCust_1')!
    await core.say(conv, {kind: 'text', from: 'agent', agentName: 'Li', text: 'It ships today'})
    await until('first custom send', () => wechat.sent.length >= 1, 5000)
    expect(wechat.sent.at(-1)).toEqual({touser: 'oCust_1', msgtype: 'text', text: {content: 'Li: It ships today'}})
    const fetches = wechat.tokenRequests
    wechat.expireTokens()
    await core.say(conv, {kind: 'rating-request', from: 'system', text: 'How did we do?', buttons: [{key: '5', label: '满意'}, {key: '1', label: '不满意'}]})
    await until('menu after token refresh', () => wechat.sent.length >= 2, 5000)
    expect(wechat.tokenRequests).toBe(fetches + 1)
    expect(wechat.sent.at(-1)).toEqual({touser: 'oCust_1', msgtype: 'msgmenu', msgmenu: {head_content: 'How did we do?', list: [{id: '5', content: '满意'}, {id: '1', content: '不满意'}], tail_content: ''}})
    await core.say(conv, {kind: 'typing', from: 'agent', agentName: 'Li'})
    await until('typing', () => wechat.typing.length >= 1, 5000)
    expect(wechat.typing.at(-1)).toEqual({touser: 'oCust_1', command: 'Typing'})
    // The token and the app secret appear in no log line.
    expect(logs.join('\n')).not.toMatch(/tok-\d|app-secret-xyz/)
  })

  it('the menu choice, image, subscribe and CLICK events come in as the interface says', async () => {
    const t = now()
    const cases: [string, Record<string, unknown>][] = [
      [xml({ToUserName: 'gh_account', FromUserName: 'oCust_3', CreateTime: t, MsgType: 'event', Event: 'subscribe', EventKey: 'qrscene_7'}), {event: 'subscribe', payload: 'qrscene_7'}],
      [xml({ToUserName: 'gh_account', FromUserName: 'oCust_3', CreateTime: t, MsgType: 'event', Event: 'CLICK', EventKey: 'MENU_HUMAN'}), {event: 'button', payload: 'MENU_HUMAN'}],
      [xml({ToUserName: 'gh_account', FromUserName: 'oCust_3', CreateTime: t, MsgType: 'image', PicUrl: 'http://mmbiz.qpic.cn/abc', MediaId: 'media1', MsgId: String(++msgId)}), {image: {url: 'http://mmbiz.qpic.cn/abc', mime: 'image/jpeg', bytes: 0}}],
      [xml({ToUserName: 'gh_account', FromUserName: 'oCust_3', CreateTime: t, MsgType: 'text', Content: '满意', bizmsgmenuid: '5', MsgId: String(++msgId)}), {event: 'button', payload: '5'}],
    ]
    for (const [body, want] of cases) {
      const before = core.inbound.length
      expect((await post(signed(), body)).status).toBe(200)
      expect(core.inbound.length).toBe(before + 1)
      expect(core.inbound.at(-1)).toMatchObject({channel: 'wechat', customer: 'oCust_3', ...want})
    }
  })

  it('hostile bodies: entities, DOCTYPE, oversize, not XML are refused; control characters are taken out', async () => {
    const before = core.inbound.length
    const xxe = '<!DOCTYPE xml [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><ToUserName>gh</ToUserName><FromUserName>oEvil</FromUserName><MsgType>text</MsgType><Content>&e;</Content></xml>'
    expect((await post(signed(), xxe)).status).toBe(400)
    const bomb = '<xml><A>' + '&amp;'.repeat(10) + '</A>' + '<B>x</B>'.repeat(10_000) + '</xml>'
    expect((await post(signed(), bomb)).status).toBe(413)
    expect((await post(signed(), 'GET / HTTP/1.1')).status).toBe(400)
    expect(core.inbound.length).toBe(before)
    await post(signed(), textMsg('oCust_4', '<script>alert(1)</script>\u001b[2J\u0000bye'))
    expect(core.inbound.at(-1)).toMatchObject({customer: 'oCust_4', text: '<script>alert(1)</script>bye'})
  })
})
