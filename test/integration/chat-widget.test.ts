import {mkdtempSync, rmSync} from 'node:fs'
import {createServer} from 'node:http'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {chromium, type Browser, type Page} from 'playwright-core'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import WebSocket from 'ws'
import {channelsSettings} from '../../src/engine/chat/channels/channels-config.js'
import {startChannels, type RunningChannels} from '../../src/engine/chat/channels/start-channels.js'
import {createLogger} from '../../src/engine/util/log.js'
import {callctlPaths} from '../../src/engine/util/paths.js'
import {ChatCoreDouble} from '../support/chat-core-double.js'
import {until} from '../support/wait.js'

// The web widget in a real headless Chromium (Debian's), against the real chat server
// and a chat core double: what the widget itself must do whatever the core behind it.
// The customer's side end to end with the engine's own chat core is chat-e2e.test.ts.

// What page.evaluate's functions see in the browser (the tests' TypeScript has no DOM).
declare const document: {body: {insertAdjacentHTML(where: string, html: string): void}}
declare const localStorage: {getItem(k: string): string | null}
declare const window: Record<string, unknown>

const PNG_1X1 = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64')
const HOSTILE = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>\u001b[2J\u202Eevil`

const home = mkdtempSync(join(tmpdir(), 'callctl-widget-'))
const core = new ChatCoreDouble()
core.greeting = 'Hello! How can we help?'
let ch: RunningChannels
let browser: Browser
let page: Page
const pageErrors: string[] = []

beforeAll(async () => {
  const settings = channelsSettings({web: {port: 0, maxImageKB: 64}}, callctlPaths({CALLCTL_HOME: home}), {})!
  ch = await startChannels(settings, core, createLogger({level: 'error'}))
  browser = await chromium.launch({executablePath: '/usr/bin/chromium', args: ['--no-sandbox']}).catch((err: unknown) => {
    throw new Error(`Chromium did not start from /usr/bin/chromium (scripts/setup.sh installs Debian's chromium): ${String(err)}`)
  })
  page = await (await browser.newContext()).newPage()
  page.on('pageerror', (e) => pageErrors.push(e.message))
}, 60_000)
afterAll(async () => {
  await browser?.close()
  await ch?.stop()
  rmSync(home, {recursive: true, force: true})
})

const visitorOf = () => page.evaluate(() => JSON.parse(localStorage.getItem('callctl.chat') ?? '{}').visitor as string | undefined)
const logTexts = () => page.locator('#log li').allTextContents()
const conversation = async () => core.conversationOf('web', (await visitorOf())!)!

describe('the web widget in Chromium', () => {
  it('serves the page with a strict CSP: no inline script, no markup from strings', async () => {
    const r = await page.goto(`${ch.url}/chat/`)
    const csp = r!.headers()['content-security-policy']!
    expect(csp).toContain("default-src 'none'")
    expect(csp).toContain("script-src 'self'")
    expect(csp).toContain("require-trusted-types-for 'script'")
    expect(r!.headers()['x-content-type-options']).toBe('nosniff')
    // The page itself can turn no string into markup.
    const sink = await page.evaluate(() => {
      try {
        document.body.insertAdjacentHTML('beforeend', '<b id=x>x</b>')
        return 'markup allowed'
      } catch {
        return 'refused'
      }
    })
    expect(sink).toBe('refused')
  })

  it('name and number, a greeting, text with emoji, typing, and every message drawn once', async () => {
    await page.locator('#status').getByText('Online').waitFor()
    await page.fill('#name', 'Wang Fang')
    await page.fill('#number', '+86 138 0013 8000')
    await page.click('#begin')
    await page.locator('#log li').getByText('Hello! How can we help?').waitFor()
    expect(core.inbound.at(-1)).toMatchObject({channel: 'web', event: 'open', name: 'Wang Fang', number: '+86 138 0013 8000'})
    await page.click('#emoji')
    await page.fill('#text', 'My parcel is late ')
    await page.locator('#emoji-picker .emoji').first().click()
    await page.press('#text', 'Enter')
    await until('the text at the core', () => core.inbound.find((m) => m.text?.startsWith('My parcel is late')), 10_000)
    expect(core.inbound.find((m) => m.text?.startsWith('My parcel'))!.text).toBe('My parcel is late 😀')
    await page.locator('#log li.customer:not(.sending)').getByText('My parcel is late 😀').waitFor()
    // Typing started a typing event at the core (throttled to one per 3 s).
    expect(core.inbound.some((m) => m.event === 'typing')).toBe(true)
    await core.say(await conversation(), {kind: 'typing', from: 'agent', agentName: 'Li Na'})
    await page.locator('#typing').getByText('Li Na is typing…').waitFor()
    await core.say(await conversation(), {kind: 'text', from: 'agent', agentName: 'Li Na', text: 'Let me check 📦'})
    await page.locator('#log li.agent').getByText('Let me check 📦').waitFor()
    expect(await page.locator('#typing').isHidden()).toBe(true)
  })

  it('hostile text from either side is shown as text and runs nothing', async () => {
    await core.say(await conversation(), {kind: 'text', from: 'agent', agentName: '<b>Agent</b>', text: HOSTILE})
    await page.fill('#text', HOSTILE)
    await page.press('#text', 'Enter')
    await until('hostile text at the core', () => core.inbound.find((m) => m.text?.includes('onerror')), 10_000)
    // What reached the core lost its escape and bidi override, kept the visible characters.
    expect(core.inbound.find((m) => m.text?.includes('onerror'))!.text).toBe(`<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>evil`)
    await page.locator('#log li.agent', {hasText: 'onerror'}).waitFor()
    expect(await page.evaluate(() => window.__pwned)).toBeUndefined()
    expect(await page.locator('#log img, #log script, #log b').count()).toBe(0)
    expect(await page.locator('#log li.agent .who', {hasText: '<b>Agent</b>'}).count()).toBe(1)
  })

  it('images: a real PNG is sent; a page named .png, an empty file and an oversize image are refused', async () => {
    const before = core.inbound.length
    await page.setInputFiles('#file', {name: 'photo.png', mimeType: 'image/png', buffer: PNG_1X1})
    const img = await until('the image at the core', () => core.inbound.slice(before).find((m) => m.image), 10_000)
    expect(img.image).toMatchObject({mime: 'image/png', bytes: PNG_1X1.length})
    expect(img.image!.url).toMatch(new RegExp(`^${ch.url}/chat/uploads/[A-Za-z0-9_-]{32}\\.png$`))
    await page.locator('#log li.customer img.image').waitFor()
    const served = await fetch(img.image!.url)
    expect(served.headers.get('content-type')).toBe('image/png')
    expect(Buffer.from(await served.arrayBuffer())).toEqual(PNG_1X1)

    const refusals: [string, Buffer, RegExp][] = [
      ['evil.png', Buffer.from('<html><script>alert(1)</script></html>'), /Only PNG, JPEG, GIF and WebP/],
      ['empty.png', Buffer.alloc(0), /empty/],
      ['big.png', Buffer.concat([PNG_1X1, Buffer.alloc(70 * 1024)]), /at most 64 KiB/],
    ]
    for (const [name, buffer, message] of refusals) {
      await page.setInputFiles('#file', {name, mimeType: 'image/png', buffer})
      await page.locator('#log li.failed .error', {hasText: message}).waitFor()
    }
    expect(core.inbound.slice(before).filter((m) => m.image)).toHaveLength(1)
    expect(ch.uploads.count()).toBe(1)
  })

  it('reconnects after the server drops it and resumes from its last seq: nothing lost, nothing twice', async () => {
    const conv = await conversation()
    ch.web.disconnectAll()
    await page.locator('#status').getByText('Reconnecting…').waitFor()
    // Written while away: kept by the widget and sent once it is back, once.
    await page.fill('#text', 'Typed while offline')
    await page.press('#text', 'Enter')
    // Said while the widget is away: kept by the core, sent on resume.
    await core.say(conv, {kind: 'text', from: 'agent', agentName: 'Li Na', text: 'While you were away 1'})
    await core.say(conv, {kind: 'text', from: 'agent', agentName: 'Li Na', text: 'While you were away 2'})
    await page.locator('#log li').getByText('While you were away 2').waitFor({timeout: 15_000})
    const texts = await logTexts()
    expect(texts.filter((t) => t.includes('While you were away 1'))).toHaveLength(1)
    expect(texts.filter((t) => t.includes('Let me check'))).toHaveLength(1)
    expect(texts.filter((t) => t.includes('Hello! How can we help?'))).toHaveLength(1)
    await until('the offline text at the core', () => core.inbound.find((m) => m.text === 'Typed while offline'), 10_000)
    await page.locator('#log li.customer:not(.sending)', {hasText: 'Typed while offline'}).waitFor()
    expect(core.inbound.filter((m) => m.text === 'Typed while offline')).toHaveLength(1)
  })

  it('a reload keeps the visitor and shows the history', async () => {
    const visitor = await visitorOf()
    const agentLines = (await page.locator('#log li.agent .text').allTextContents()).length
    await page.reload()
    await page.locator('#log li').getByText('While you were away 2').waitFor()
    expect(await visitorOf()).toBe(visitor)
    expect((await page.locator('#log li.agent .text').allTextContents()).length).toBe(agentLines)
    expect(await page.locator('#start').isHidden()).toBe(true)
    // The customer's own side too, in the order said, each once.
    const texts = await logTexts()
    const at = (t: string) => texts.findIndex((x) => x.includes(t))
    expect(texts.filter((t) => t.includes('My parcel is late 😀'))).toHaveLength(1)
    expect(at('Hello! How can we help?')).toBeLessThan(at('My parcel is late 😀'))
    expect(at('My parcel is late 😀')).toBeLessThan(at('Let me check 📦'))
    expect(await page.locator('#log li.customer img.image').count()).toBe(1)
  })

  it('a second tab of the same visitor shows both sides as they are said', async () => {
    const tab = await page.context().newPage()
    await tab.goto(`${ch.url}/chat/`)
    await tab.locator('#log li').getByText('While you were away 2').waitFor()
    await page.fill('#text', 'Written in the first tab')
    await page.press('#text', 'Enter')
    await tab.locator('#log li.customer').getByText('Written in the first tab').waitFor()
    await core.say(await conversation(), {kind: 'text', from: 'agent', agentName: 'Li Na', text: 'Seen in both tabs'})
    await tab.locator('#log li.agent').getByText('Seen in both tabs').waitFor()
    await page.locator('#log li.agent').getByText('Seen in both tabs').waitFor()
    expect((await tab.locator('#log li').allTextContents()).filter((t) => t.includes('Written in the first tab'))).toHaveLength(1)
    await tab.close()
  })

  it('buttons and the rating request send the key chosen; ending the chat says so', async () => {
    const conv = await conversation()
    await core.say(conv, {kind: 'rating-request', from: 'system', text: 'How did we do?', buttons: [{key: '5', label: '★★★★★'}, {key: '1', label: '★'}]})
    await page.locator('#log li.rating button', {hasText: '★★★★★'}).click()
    await until('the rating at the core', () => core.inbound.find((m) => m.event === 'button' && m.payload === '5'), 10_000)
    await page.click('#end')
    await page.locator('#log li.system').getByText('The chat has ended.').waitFor()
    expect(core.inbound.at(-1)).toMatchObject({event: 'close'})
    expect(pageErrors).toEqual([])
  })

  it('another site embeds the widget with one script tag', async () => {
    // The shop's page from another origin (localhost, where the chat is 127.0.0.1).
    const shop = createServer((_req, res) => {
      res.writeHead(200, {'content-type': 'text/html'})
      res.end(`<html><body><h1>Shop</h1><script src="${ch.url}/chat/embed.js" data-title="Help"></script></body></html>`)
    })
    await new Promise<void>((r) => shop.listen(0, '127.0.0.1', r))
    const host = await browser.newPage()
    await host.goto(`http://localhost:${(shop.address() as AddressInfo).port}/`)
    await host.click('#callctl-chat-button')
    const frame = host.frameLocator('#callctl-chat-frame')
    await frame.locator('#title').getByText('Help').waitFor()
    await frame.locator('#status').getByText('Online').waitFor()
    await host.close()
    shop.close()
  })
})

describe('the widget socket and uploads outside the widget', () => {
  const open = (origin?: string) => new WebSocket(`${ch.url.replace('http', 'ws')}/chat/ws`, origin ? {origin} : {})
  it('refuses a socket opened by another site’s page, and uploads from one', async () => {
    const ws = open('http://evil.example')
    const status = await new Promise<number>((resolve) => ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)))
    expect(status).toBe(403)
    const r = await fetch(`${ch.url}/chat/upload?visitor=v_${'a'.repeat(32)}`, {method: 'POST', headers: {origin: 'http://evil.example'}, body: PNG_1X1})
    expect(r.status).toBe(403)
  })

  it('refuses huge text, bad frames and a made-up visitor id gets a fresh one', async () => {
    const ws = open()
    const frames: any[] = []
    ws.on('message', (d) => frames.push(JSON.parse(d.toString())))
    await new Promise((r) => ws.on('open', r))
    ws.send(JSON.stringify({type: 'hello', visitor: 'v_guessed'}))
    const welcome = await until('welcome', () => frames.find((f) => f.type === 'welcome'), 5000)
    expect(welcome.visitor).toMatch(/^v_[A-Za-z0-9_-]{32}$/)
    const before = core.inbound.length
    ws.send(JSON.stringify({type: 'text', id: 'big', text: 'x'.repeat(4001)}))
    ws.send('{not json')
    ws.send(JSON.stringify({type: 'text', id: 'ctl', text: '\u0000\u0007\u001b'}))
    await until('three refusals', () => frames.filter((f) => f.type === 'error').length >= 3, 5000)
    expect(frames.filter((f) => f.type === 'error').map((f) => f.code).sort()).toEqual(['bad_frame', 'empty', 'too_long'])
    expect(core.inbound.length).toBe(before)
    ws.close()
  })
})
