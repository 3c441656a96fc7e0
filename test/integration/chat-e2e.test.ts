import {createHash} from 'node:crypto'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {chromium, type Browser, type Page} from 'playwright-core'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {channelsSettings} from '../../src/engine/chat/channels/channels-config.js'
import {startChannels, type RunningChannels} from '../../src/engine/chat/channels/start-channels.js'
import {chatSettings} from '../../src/engine/config/chat-config.js'
import type {EngineClient} from '../../src/engine/api/client.js'
import {createLogger} from '../../src/engine/util/log.js'
import {callctlPaths} from '../../src/engine/util/paths.js'
import {startTestEngine, type Harness} from '../support/harness.js'
import {FakeWechat} from '../support/fake-wechat.js'
import {until} from '../support/wait.js'

// A web customer in headless Chromium and two agents on the engine's own chat core, on
// the sandbox Asterisk's engine, the agents working through the engine API's chat methods
// (their desk's): the customer writes, the conversation is queued and offered to an
// agent, who accepts and answers; transfers it to the other agent, who answers too; the customer reloads and has the whole conversation; then goes silent and
// the engine closes the conversation with its message. Hostile text from the customer
// is stored without the characters that steer a terminal.

declare const localStorage: {getItem(k: string): string | null}
declare const window: Record<string, unknown>

const HOSTILE = '<img src=x onerror="window.__pwned=1">\u001b]0;owned\u0007\u001b[2J\u202Eevil'
const home = mkdtempSync(join(tmpdir(), 'callctl-chat-e2e-'))
let h: Harness
let ch: RunningChannels
let browser: Browser
let page: Page
/** The agents' side: the engine API (the desk's methods), results checked against the contract. */
let desk: EngineClient
let closedId = ''
const wechat = new FakeWechat('wx00e2e', 'e2e-app-secret')

beforeAll(async () => {
  const settings = {...chatSettings({queue: 'web', autoAccept: false, rating: true}, null), silenceCloseMs: 4000, acceptTimeoutMs: 60_000}
  h = await startTestEngine({
    queues: {web: {strategy: 'longest-idle'}},
    agents: [
      {id: 'li', queues: ['web'], ring: 999, talk: {min: 1, max: 1}},
      {id: 'wang', queues: ['web'], ring: 999, talk: {min: 1, max: 1}},
    ],
    engine: {chat: {settings}},
    api: true,
  })
  desk = await h.api!.client()
  await wechat.start()
  writeFileSync(join(home, 'wechat-token'), 'e2e-token', {mode: 0o600})
  writeFileSync(join(home, 'wechat-secret'), wechat.appSecret, {mode: 0o600})
  const channels = channelsSettings(
    {web: {port: 0}, wechat: {tokenFile: join(home, 'wechat-token'), appId: wechat.appId, appSecretFile: join(home, 'wechat-secret'), apiBase: wechat.url, replyWaitMs: 1000}},
    callctlPaths({CALLCTL_HOME: home}),
    {},
  )!
  ch = await startChannels(channels, h.engine.chat, createLogger({level: 'warn'}))
  browser = await chromium.launch({executablePath: '/usr/bin/chromium', args: ['--no-sandbox']})
  page = await browser.newPage()
}, 120_000)
afterAll(async () => {
  desk?.close()
  await browser?.close()
  await ch?.stop()
  await h?.stop()
  await wechat.stop()
  rmSync(home, {recursive: true, force: true})
})

const visitor = () => page.evaluate(() => JSON.parse(localStorage.getItem('callctl.chat') ?? '{}').visitor as string)
const mine = async () => {
  const v = await visitor()
  return until('the conversation', () => h.engine.chat.list({}).find((c) => c.customer === v), 10_000)
}

describe('a web customer and the agents, end to end', () => {
  it('the customer writes; an agent accepts, is seen typing and answers in the widget', async () => {
    await page.goto(`${ch.url}/chat/`)
    await page.fill('#name', 'Zhao Lei')
    await page.fill('#number', '13800138000')
    await page.click('#begin')
    await page.fill('#text', 'Hi, my order 1234 is late')
    await page.press('#text', 'Enter')
    const c = await mine()
    const offered = await until('an offer', () => {
      const v = h.engine.chat.list({}).find((x) => x.id === c.id)
      return v?.state === 'offered' && v.offeredTo ? v.offeredTo : undefined
    }, 15_000)
    await desk.request('chat.accept', {conversation: c.id, agent: offered})
    await desk.request('chat.typing', {conversation: c.id, agent: offered})
    await page.locator('#typing', {hasText: 'is typing…'}).waitFor()
    await desk.request('chat.send', {conversation: c.id, agent: offered, text: 'Hello Zhao Lei, let me look at order 1234'})
    await page.locator('#log li.agent').getByText('Hello Zhao Lei, let me look at order 1234').waitFor()
    expect(h.engine.chat.get(c.id)).toMatchObject({agent: offered})
  })

  it('hostile text reaches the transcript without terminal controls, and the page runs none of it', async () => {
    await page.fill('#text', HOSTILE)
    await page.press('#text', 'Enter')
    const c = await mine()
    const line = await until('the hostile line in the transcript', () => h.engine.chat.transcript(c.id).lines.find((l) => l.text?.includes('onerror')), 10_000)
    expect(line.text).toBe('<img src=x onerror="window.__pwned=1">evil')
    expect(line.text).not.toMatch(/[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/)
    const agent = h.engine.chat.get(c.id)!.agent!
    await desk.request('chat.send', {conversation: c.id, agent, text: HOSTILE})
    await page.locator('#log li.agent', {hasText: 'onerror'}).waitFor()
    expect(await page.evaluate(() => window.__pwned)).toBeUndefined()
    expect(await page.locator('#log img').count()).toBe(0)
  })

  it('a transfer to the other agent: the customer is told and the new agent answers', async () => {
    const c = await mine()
    const from = h.engine.chat.get(c.id)!.agent!
    const to = from === 'li' ? 'wang' : 'li'
    await desk.request('chat.transfer', {conversation: c.id, to: {agent: to}, agent: from})
    const state = await until('offered or active with the other agent', () => {
      const v = h.engine.chat.list({}).find((x) => x.id === c.id)
      return v && (v.offeredTo === to || v.agent === to) ? v : undefined
    }, 10_000)
    if (state.state === 'offered') await desk.request('chat.accept', {conversation: c.id, agent: to})
    await desk.request('chat.send', {conversation: c.id, agent: to, text: `This is ${to}, I have your order here`})
    await page.locator('#log li.agent').getByText(`This is ${to}, I have your order here`).waitFor()
  })

  it('a reload keeps the whole conversation, both sides, in order', async () => {
    const before = await page.locator('#log li').allTextContents()
    await page.reload()
    await page.locator('#log li').getByText('I have your order here').waitFor()
    const after = await page.locator('#log li').allTextContents()
    const at = (t: string) => after.findIndex((x) => x.includes(t))
    expect(at('my order 1234 is late')).toBeGreaterThanOrEqual(0)
    expect(at('my order 1234 is late')).toBeLessThan(at('let me look at order 1234'))
    expect(at('let me look at order 1234')).toBeLessThan(at('I have your order here'))
    expect(after.filter((t) => t.includes('let me look at order 1234'))).toHaveLength(1)
    expect(after.length).toBeGreaterThanOrEqual(before.filter((t) => !t.includes('is typing')).length)
  })

  it('silence closes the conversation with the engine’s message, shown in the widget', async () => {
    const c = await mine()
    await page.locator('#log li.system').getByText('We have not heard from you').waitFor({timeout: 20_000})
    expect(h.engine.chat.get(c.id)?.state).toBe('closed')
    closedId = c.id
  })

  it('writing again starts a new conversation; the agent closes it and the customer’s rating is recorded', async () => {
    const old = closedId
    await page.fill('#text', 'One more question')
    await page.press('#text', 'Enter')
    const c = await until('a new conversation offered', () => h.engine.chat.list({}).find((x) => x.id !== old && x.state === 'offered'), 15_000)
    await desk.request('chat.accept', {conversation: c.id, agent: c.offeredTo!})
    await desk.request('chat.send', {conversation: c.id, agent: c.offeredTo!, text: 'Sure, go ahead'})
    await page.locator('#log li.agent').getByText('Sure, go ahead').waitFor()
    await desk.request('chat.close', {conversation: c.id, agent: c.offeredTo!})
    const stars = page.locator('#log li.rating').last().locator('button', {hasText: /^★★★★★$/})
    await stars.click()
    await until('the rating recorded', () => h.engine.chat.get(c.id)?.rating === 5, 10_000)
  })
})

describe('a WeChat customer on the same engine', () => {
  const signed = () => {
    const timestamp = String(Math.floor(Date.now() / 1000))
    const nonce = Math.random().toString(36).slice(2)
    const signature = createHash('sha1').update(['e2e-token', timestamp, nonce].sort().join('')).digest('hex')
    return new URLSearchParams({signature, timestamp, nonce}).toString()
  }
  const text = (content: string, id: number) =>
    `<xml><ToUserName><![CDATA[gh_e2e]]></ToUserName><FromUserName><![CDATA[oE2E_customer]]></FromUserName><CreateTime>${Math.floor(Date.now() / 1000)}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[${content}]]></Content><MsgId>${id}</MsgId></xml>`

  it('writes through the signed webhook, gets its place in line as the passive reply, and the agent’s answer by the customer-service API', async () => {
    const r = await fetch(`${ch.url}/wechat?${signed()}`, {method: 'POST', body: text('我的快递还没到', 7001)})
    expect(r.status).toBe(200)
    const reply = await r.text()
    // The engine's first answer (its place in line) within the wait comes back in the POST's own reply.
    expect(reply).toMatch(/^<xml><ToUserName><!\[CDATA\[oE2E_customer\]\]><\/ToUserName><FromUserName><!\[CDATA\[gh_e2e\]\]><\/FromUserName>.*<MsgType><!\[CDATA\[text\]\]><\/MsgType><Content><!\[CDATA\[.*line.*\]\]><\/Content><\/xml>$/)
    const forged = await fetch(`${ch.url}/wechat?${signed().replace(/signature=[0-9a-f]+/, 'signature=' + '0'.repeat(40))}`, {method: 'POST', body: text('forged', 7002)})
    expect(forged.status).toBe(403)
    const c = await until('the WeChat conversation offered', () => h.engine.chat.list({}).find((x) => x.channel === 'wechat' && x.state === 'offered'), 15_000)
    expect(c.customer).toBe('oE2E_customer')
    await desk.request('chat.accept', {conversation: c.id, agent: c.offeredTo!})
    await desk.request('chat.send', {conversation: c.id, agent: c.offeredTo!, text: '您好,我来帮您查一下'})
    await until('the answer at WeChat', () => wechat.sent.find((m) => m.text?.content?.includes('我来帮您查一下')), 10_000)
    expect(wechat.sent.find((m) => m.text?.content?.includes('我来帮您查一下'))).toMatchObject({touser: 'oE2E_customer', msgtype: 'text'})
    const lines = h.engine.chat.transcript(c.id).lines
    expect(lines.filter((l) => l.from === 'customer').map((l) => l.text)).toEqual(['我的快递还没到'])
  })
})
