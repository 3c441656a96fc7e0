import {randomBytes} from 'node:crypto'
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {crc32, deflateSync} from 'node:zlib'
import {chromium} from 'playwright-core'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {WebSocket} from 'ws'
import {addAgent} from '../../src/engine/admin/admin.js'
import {EngineClient} from '../../src/engine/api/client.js'
import {engineHandlers, engineOwnership} from '../../src/engine/api/handlers.js'
import {ApiServer} from '../../src/engine/api/server.js'
import type {OutboundMessage} from '../../src/engine/chat/channel.js'
import {channelsSettings} from '../../src/engine/chat/channels/channels-config.js'
import {startChannels, type RunningChannels} from '../../src/engine/chat/channels/start-channels.js'
import {chatSettings} from '../../src/engine/config/chat-config.js'
import {deskSettings} from '../../src/engine/config/desk-config.js'
import {repositoriesOf} from '../../src/engine/store/repositories.js'
import {addUser} from '../../src/engine/users/users.js'
import {createLogger} from '../../src/engine/util/log.js'
import {callctlPaths} from '../../src/engine/util/paths.js'
import {BIN, runCli} from '../support/cli.js'
import {finish, startTestEngine, type Harness} from '../support/harness.js'
import {tmuxServer} from '../support/tmux.js'
import {contractBreaches} from '../support/json-contract.js'
import {until} from '../support/wait.js'

// The browser's, in page.evaluate (the tests' TypeScript has no DOM).
declare const localStorage: {setItem(k: string, v: string): void}
declare const document: {querySelector(s: string): {naturalWidth: number} | null}
const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

// Agent A (1001) in `callctl desk` (the real binary, tmux at 80x24, NO_COLOR, its own
// agent user's token) with two web customers on the real chat server (WebSocket, as the
// widget speaks): a supervisor's private note shows on A's desk inline, marked, and a
// note on the chat not in front marks it unread; the customer never gets a note. A sends
// an image with m (a page named .png is refused first, a path pasted with a colour code
// leaves the desk up), the customer gets it as an image the chat server serves, and the
// widget in Chromium draws it; callctl chat send --image sends one too. Then A transfers
// one chat to agent B (1002) by id and the other to B's queue: B (through the API, its
// own token) is offered each, accepts, and reads the lines from before; the customers are
// told; A's desk holds neither any more.

/** A real PNG of noise (stored, not compressed): over 45,000 bytes, so it goes in parts, and a browser draws it. */
function noisePng(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data])
    const out = Buffer.alloc(12 + data.length)
    out.writeUInt32BE(data.length, 0)
    body.copy(out, 4)
    out.writeUInt32BE(crc32(body), 8 + data.length)
    return out
  }
  const header = Buffer.alloc(13)
  header.writeUInt32BE(width, 0)
  header.writeUInt32BE(height, 4)
  header.set([8, 6, 0, 0, 0], 8)
  const rows = Array.from({length: height}, () => Buffer.concat([Buffer.from([0]), randomBytes(width * 4)]))
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', deflateSync(Buffer.concat(rows), {level: 0})), chunk('IEND', Buffer.alloc(0))])
}
const PNG = noisePng(160, 110)
const NOTE = 'Offer the refund \u001b]0;pwned\u0007<b>now</b>'

/** A web customer, speaking the widget's WebSocket protocol. */
class Customer {
  readonly frames: {type: string; message?: OutboundMessage; messages?: OutboundMessage[]; visitor?: string}[] = []
  private n = 0
  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (d) => this.frames.push(JSON.parse(d.toString())))
  }

  static async open(url: string, name: string, number: string): Promise<Customer> {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/chat/ws`)
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))
    const c = new Customer(ws)
    ws.send(JSON.stringify({type: 'hello', name, number}))
    await until('the welcome', () => c.frames.some((f) => f.type === 'welcome'), 5000)
    return c
  }

  get visitor(): string {
    return this.frames.find((f) => f.type === 'welcome')!.visitor!
  }

  /** Everything the engine sent this customer (history and live lines). */
  get received(): OutboundMessage[] {
    return this.frames.flatMap((f) => (f.type === 'message' ? [f.message!] : f.type === 'history' ? f.messages! : []))
  }

  async say(text: string): Promise<void> {
    const id = `m${++this.n}`
    this.ws.send(JSON.stringify({type: 'text', id, text}))
    await until(`the ack of ${id}`, () => this.frames.some((f) => f.type === 'ack' && (f as {id?: string}).id === id), 5000)
  }

  got(what: string, test: (m: OutboundMessage) => boolean): Promise<OutboundMessage> {
    return until(`the customer to get ${what}`, () => this.received.find(test), 10_000)
  }

  close(): void {
    this.ws.close()
  }
}

describe('chats on the desk: a supervisor note, an agent image, transfer to an agent and a queue (tmux)', () => {
  const home = mkdtempSync(join(tmpdir(), 'callctl-desktransfer-'))
  const files = join(home, 'files')
  const {tmux, screen, keys, type, shown: shownWithin} = tmuxServer('callctl-desktransfer', 'desk')
  const shown = (what: string, test: (s: string) => boolean, timeoutMs = 10_000) => shownWithin(what, test, timeoutMs)
  let h: Harness
  let server: ApiServer
  let ch: RunningChannels
  let apiUrl: string
  let tokenA: string
  /** Agent B's own API connection, and the supervisor's. */
  let b: EngineClient
  let lina: EngineClient
  const customers: Customer[] = []
  /** Launched while the engine starts (it takes a second or two). */
  const browser = chromium.launch({executablePath: '/usr/bin/chromium', args: ['--no-sandbox']})

  beforeAll(async () => {
    mkdirSync(files)
    h = await startTestEngine({
      queues: {support: {wrapUp: 0}, sales: {wrapUp: 0}},
      agents: [
        {id: '1001', queues: ['support'], ring: 1, talk: {min: 4, max: 4}},
        {id: '1002', queues: ['sales'], ring: 1, talk: {min: 4, max: 4}},
      ],
      beforeStart: async (store) => {
        await addAgent(store, {id: '1001', name: 'Li Na'}, {update: true})
        await addAgent(store, {id: '1002', name: 'Wang Fang'}, {update: true})
      },
      engine: {chat: {settings: chatSettings({queue: 'support', acceptTimeout: '60s', rating: false}, null)}},
    })
    ch = await startChannels(channelsSettings({web: {port: 0}}, callctlPaths({CALLCTL_HOME: home}), {})!, h.engine.chat, createLogger({level: 'warn'}))
    server = new ApiServer({
      host: '127.0.0.1',
      port: 0,
      token: randomBytes(16).toString('hex'),
      handlers: engineHandlers(h.engine, {app: h.app, version: 'test', desk: {settings: deskSettings({}, {}), defaultCountry: 'CN', vipTiers: ['vip']}}),
      log: createLogger({level: 'warn'}),
      checkResults: true,
      users: repositoriesOf(h.store).users,
      ownership: engineOwnership(h.engine),
      audit: (e) => h.engine.events.append(e),
    })
    apiUrl = (await server.listen()).url
    tokenA = (await addUser(h.store, {name: 'li', role: 'agent', agent: '1001'})).token!
    b = await EngineClient.connect(apiUrl, (await addUser(h.store, {name: 'wang', role: 'agent', agent: '1002'})).token!)
    lina = await EngineClient.connect(apiUrl, (await addUser(h.store, {name: 'lina', role: 'supervisor'})).token!)
    const env = {CALLCTL_HOME: home, CALLCTL_API_PORT: new URL(apiUrl).port, CALLCTL_TOKEN: tokenA, NO_COLOR: '1', FORCE_COLOR: '3'}
    const command = ['env', ...Object.entries(env).map(([k, v]) => `${k}=${shellQuote(v)}`), shellQuote(process.execPath), shellQuote(BIN), 'desk', '2>', shellQuote(join(home, 'desk.err'))].join(' ')
    await tmux('new-session', '-d', '-s', 'desk', '-x', '80', '-y', '24', command)
  })

  afterAll(async () => {
    await tmux('kill-server').catch(() => undefined)
    await (await browser.catch(() => null))?.close()
    for (const c of customers) c.close()
    b?.close()
    lina?.close()
    await server?.close()
    await ch?.stop()
    await finish(h)
    rmSync(home, {recursive: true, force: true})
  })

  let first = ''
  let second = ''

  it('a supervisor note shows on the desk, marked and inert, and never reaches the customer; one on the chat not in front marks it unread', async () => {
    await shown('the desk, idle', (s) => / IDLE /.test(s))
    const liLei = await Customer.open(ch.url, 'Li Lei', '+15557400001')
    const zhao = await Customer.open(ch.url, 'Zhao Min', '+15557400002')
    customers.push(liLei, zhao)
    await liLei.say('Where is my parcel?')
    first = h.engine.chat.list({}).find((c) => c.customer === liLei.visitor)!.id
    await shown('the first offer', (s) => /^ {2}OFFERED +Li Lei +web/m.test(s))
    await keys('a')
    await shown('the first chat in front', (s) => /^> ACTIVE +Li Lei/m.test(s) && s.includes('Li Lei: Where is my parcel?'))
    await zhao.say('My invoice is wrong')
    second = h.engine.chat.list({}).find((c) => c.customer === zhao.visitor)!.id
    await shown('the second offer', (s) => /^ {2}OFFERED +Zhao Min/m.test(s))
    await keys('a')
    await shown('the second chat in front', (s) => /^> ACTIVE +Zhao Min/m.test(s))
    // Tab: after the last chat the call, then the first chat.
    await keys('Tab')
    await shown('the call in front', (s) => !/^> /m.test(s))
    await keys('Tab')
    await shown('the first chat in front again', (s) => /^> ACTIVE +Li Lei/m.test(s))

    // The supervisor's note on the chat in front: in the transcript at its time, marked as a note, inert.
    await lina.request('chat.note', {conversation: first, text: NOTE})
    let s = await shown('the note in the transcript', (s) => s.includes('[note from lina] Offer the refund <b>now</b>'))
    // At its time: after the lines before it, nothing of it lost but the terminal codes.
    expect(s).toMatch(/^\d\d:\d\d system: You are now chatting with Li Na\.\n\d\d:\d\d \[note from lina\] Offer the refund <b>now<\/b>$/m)
    expect(s).not.toContain('pwned')
    // On the chat not in front: it is unread there, as a customer's line would be.
    await lina.request('chat.note', {conversation: second, text: 'Check the invoice number first'})
    s = await shown('the other chat unread', (s) => /^ {2}ACTIVE +Zhao Min +web +1 new/m.test(s))
    await keys('Tab')
    // In front, it is read.
    await shown('the other note read', (s) => /^> ACTIVE +Zhao Min +web +My invoice/m.test(s) && s.includes('[note from lina] Check the invoice number first'))
    await keys('Tab')
    await shown('the call in front', (s) => !/^> /m.test(s))
    await keys('Tab')
    await shown('the first chat in front', (s) => /^> ACTIVE +Li Lei/m.test(s))

    // The customers never get a note: not live, not in the history a reload reads.
    expect(JSON.stringify(liLei.received)).not.toContain('refund')
    expect(JSON.stringify(zhao.received)).not.toContain('invoice number')
    expect(JSON.stringify(await h.engine.chat.history('web', liLei.visitor))).not.toContain('refund')
    // A's transcript has its notes; B may not read A's conversation; the supervisor reads every note.
    const a = await EngineClient.connect(apiUrl, tokenA)
    expect((await a.request('chat.transcript', {conversation: first})).notes.map((n) => [n.by, n.agent, n.text])).toEqual([['lina', '1001', NOTE]])
    a.close()
    await expect(b.request('chat.transcript', {conversation: first})).rejects.toThrow(/only on conversations of its agent 1002/)
    expect((await lina.request('chat.transcript', {conversation: first})).notes).toHaveLength(1)
  })

  it('A sends an image from the desk (m, a file path): a page named .png is refused, a PNG reaches the customer as an image; the CLI sends one too', async () => {
    const liLei = customers[0]!
    // A page named .png: refused by its bytes before anything is sent.
    const page = join(files, 'photo.png')
    writeFileSync(page, '<html><script>alert(1)</script></html>')
    await keys('m')
    await shown('the file prompt', (s) => s.includes('Send an image (file path):'))
    await type(page)
    await keys('Enter')
    await shown('the refusal', (s) => s.includes('Not a PNG, JPEG, GIF or WebP image (by its contents'))

    // A path pasted with a colour in it: the desk stays up (Ink threw on "\x1b[31m"), the path inert, no such file.
    await keys('m')
    await type(join(files, 'label \u001b[31mred.png'))
    await keys('Enter')
    await shown('no such file', (s) => s.includes('No file') && s.includes('files/label red.png'))

    // A real PNG under a name a shell would run: sent in parts, kept by the chat server, the customer gets an image line.
    const file = join(files, 'label $(reboot);x.png')
    writeFileSync(file, PNG)
    await keys('m')
    await type(file)
    await keys('Enter')
    await shown('the image sent', (s) => s.includes('Sent the image label'))
    const image = await liLei.got('the image', (m) => m.kind === 'image' && m.from === 'agent')
    expect(image).toMatchObject({from: 'agent', agentName: 'Li Na', image: {mime: 'image/png'}})
    expect(image.image!.url).toMatch(new RegExp(`^${ch.url}/chat/uploads/[A-Za-z0-9_-]{32}\\.png$`))
    const res = await fetch(image.image!.url)
    expect(res.headers.get('content-type')).toBe('image/png')
    expect(Buffer.from(await res.arrayBuffer())).toEqual(PNG)
    // The desk: what was sent (the name inert), and the image line in the transcript with where it is.
    const s = await shown('the image line', (s) => s.includes('you: [image] http://127.0.0.1:'))
    expect(s).toContain(`Sent the image label $(reboot);x.png (${Math.ceil(PNG.length / 1024)} KiB) to Li Lei`)
    expect(s.replace(/\n/g, '')).toContain(`you: [image] ${image.image!.url}`)
    expect(s.split('\n').every((l) => [...l].length <= 80)).toBe(true)
    expect(s).toContain('m send an image')
    // chat.image is the agent's own, on its own active conversation: not another agent's, not a supervisor's.
    const part = {conversation: first, size: PNG.length, data: PNG.subarray(0, 3000).toString('base64')}
    await expect(b.request('chat.image', {...part, agent: '1001'})).rejects.toThrow(/as its own agent|agent 1002/)
    await expect(b.request('chat.image', {...part, agent: '1002'})).rejects.toThrow(`Conversation ${first} is not an active conversation of agent 1002`)
    await expect(lina.request('chat.image', {...part, agent: '1001'})).rejects.toThrow(/role supervisor/)
    // The transcript keeps it as the agent's image line.
    expect(h.engine.chat.transcript(first).lines.filter((l) => l.from === 'agent').map((l) => [l.kind, l.agent, l.image?.url])).toEqual([['image', '1001', image.image!.url]])

    // At once: the widget, reloaded by this customer in a browser, draws it as an image (and
    // shows no note); callctl chat send --image as agent A goes the same way in, and a file
    // that is no image is one line.
    const inBrowser = async () => {
      const tab = await (await browser).newPage()
      await tab.goto(`${ch.url}/chat/`)
      await tab.evaluate((v) => localStorage.setItem('callctl.chat', JSON.stringify({visitor: v, name: 'Li Lei', number: '+15557400001', started: true})), liLei.visitor)
      await tab.reload()
      const drawn = tab.locator('#log li.msg.agent img.image').first()
      await drawn.waitFor({state: 'attached', timeout: 10_000})
      expect(await drawn.getAttribute('src')).toBe(image.image!.url)
      await tab.waitForFunction(() => document.querySelector('#log img.image')?.naturalWidth === 160, null, {timeout: 10_000})
      expect(await tab.locator('#log').textContent()).not.toContain('refund')
    }
    const cli = {CALLCTL_HOME: home, CALLCTL_API_PORT: new URL(apiUrl).port, CALLCTL_TOKEN: tokenA}
    const fromCli = async () => {
      const sent = await runCli(['chat', 'send', first, '--image', file, '--json'], cli, 20_000)
      expect(sent.stderr).toBe('')
      expect(JSON.parse(sent.stdout)).toMatchObject({conversation: first, agent: '1001', kind: 'image', image: {mime: 'image/png', bytes: PNG.length}})
      expect(contractBreaches(JSON.parse(sent.stdout))).toEqual([])
      await liLei.got('the second image', (m) => m.kind === 'image' && m.seq > image.seq)
    }
    const [, , refused, hostile] = await Promise.all([inBrowser(), fromCli(), runCli(['chat', 'send', first, '--image', page], cli, 20_000), runCli(['chat', 'send', first, '--image', join(files, 'none\u001b]0;pwned\u0007.png')], cli, 20_000)])
    // A file that is not an image is invalid input: exit 2 (misuse report 20, finding 21).
    expect(refused.code).toBe(2)
    expect(refused.stderr).toBe(`Error: Not a PNG, JPEG, GIF or WebP image (by its contents, whatever its name): ${page}\n  Try: Send a PNG, JPEG, GIF or WebP file.\n`)
    expect(hostile.code).toBe(2)
    expect(hostile.stderr).not.toMatch(/[\u0007\u001b]/)
  })

  it('A transfers one chat to agent B by id and the other to a queue: B gets each with its transcript, the customers are told, A’s desk holds neither', async () => {
    const [liLei, zhao] = customers as [Customer, Customer]
    // To B by its id, from the chat in front.
    await keys('t')
    await shown('the transfer prompt', (s) => s.includes('Transfer the chat to (agent id or queue name):'))
    await type('1002')
    await keys('Enter')
    await until('the first chat offered to B', () => h.engine.chat.get(first)!.offeredTo === '1002', 10_000)
    let s = await shown('the first chat gone from the desk', (s) => !s.includes('Li Lei') && s.includes('Chat transferred to agent 1002'))
    await liLei.got('word of the transfer', (m) => m.text === 'You are being transferred; the next person sees this conversation so far.')
    // B, on its own token: offered, accepts, reads the lines from before (A's image too), not A's notes.
    expect((await b.request('chat.list', {agent: '1002'})).conversations.map((c) => [c.id, c.state])).toEqual([[first, 'offered']])
    expect(await b.request('chat.accept', {conversation: first, agent: '1002'})).toMatchObject({state: 'active', agent: '1002'})
    const t = await b.request('chat.transcript', {conversation: first})
    expect(t.lines.filter((l) => l.from === 'customer' || l.from === 'agent').map((l) => [l.from, l.agent ?? null, l.text ?? l.kind])).toEqual([
      ['customer', null, 'Where is my parcel?'],
      ['agent', '1001', 'image'],
      ['agent', '1001', 'image'],
    ])
    expect(t.notes).toEqual([])
    await liLei.got('B introduced', (m) => m.text === 'You are now chatting with Wang Fang.')
    await b.request('chat.send', {conversation: first, agent: '1002', text: 'I have your parcel details here.'})
    await liLei.got("B's answer", (m) => m.from === 'agent' && m.agentName === 'Wang Fang')

    // The other to B's queue (not one of A's: said as q:NAME). The chat gone, the call was in front.
    await keys('Tab')
    s = await shown('the second chat in front', (s) => /^> ACTIVE +Zhao Min/m.test(s))
    await keys('t')
    await type('q:sales')
    await keys('Enter')
    await until('the second chat offered to B from sales', () => h.engine.chat.get(second)!.offeredTo === '1002' && h.engine.chat.get(second)!.queue === 'sales', 10_000)
    s = await shown('no chat left on the desk', (s) => s.includes('Chat transferred to queue sales') && !s.includes('Zhao Min') && !/^Chats /m.test(s))
    await zhao.got('word of the transfer', (m) => m.text === 'You are being transferred; the next person sees this conversation so far.')
    await b.request('chat.accept', {conversation: second, agent: '1002'})
    expect((await b.request('chat.transcript', {conversation: second})).lines.find((l) => l.from === 'customer')?.text).toBe('My invoice is wrong')
    await zhao.got('B introduced', (m) => m.text === 'You are now chatting with Wang Fang.')
    // A holds neither: not on its screen, not in its list; A may not write to them now.
    const a = await EngineClient.connect(apiUrl, tokenA)
    expect((await a.request('chat.list', {agent: '1001'})).conversations).toEqual([])
    await expect(a.request('chat.send', {conversation: first, agent: '1001', text: 'still here?'})).rejects.toThrow(/not an active conversation of agent 1001/)
    a.close()
    expect(readFileSync(join(files, 'photo.png'), 'utf8')).toContain('<html>')
    // NO_COLOR: not a colour or style anywhere on the screen.
    expect((await tmux('capture-pane', '-p', '-e', '-t', 'desk')).stdout).not.toMatch(/\u001b\[[\d;]*m/)
    await keys('q')
  })
})
