import {randomBytes} from 'node:crypto'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {engineHandlers, engineOwnership} from '../../src/engine/api/handlers.js'
import {ApiServer} from '../../src/engine/api/server.js'
import {chatSettings} from '../../src/engine/config/chat-config.js'
import {deskSettings} from '../../src/engine/config/desk-config.js'
import {repositoriesOf} from '../../src/engine/store/repositories.js'
import {addUser} from '../../src/engine/users/users.js'
import {createLogger} from '../../src/engine/util/log.js'
import {BIN} from '../support/cli.js'
import {finish, startTestEngine, type Harness} from '../support/harness.js'
import {tmuxServer} from '../support/tmux.js'

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

const CUSTOMER = '+15557300001'
const QUICK_REPLY = 'Thank you for waiting, let me check that for you.'
const KB_ANSWER = 'Parcels are tracked on the Orders page; a delayed parcel is refunded after 14 days.'
// What a hostile customer writes: a window title change and a screen wipe around markup.
const HOSTILE = 'Is it \u001b]0;pwned\u0007<b>lost</b>?\u001b[2J'

// An agent in `callctl desk` (the real binary, in tmux at 80x24, NO_COLOR, its own user's
// token) takes a chat: a customer writes through the chat core (the channels' side, as
// chat-core.test.ts drives it); the desk lists the offer, the agent accepts it, reads the
// transcript (hostile text inert), looks at the customer's history, answers with a quick
// reply, a typed line and a knowledge-base answer, and closes; the customer received the
// three answers and the close.
describe('chats in callctl desk (tmux)', () => {
  const home = mkdtempSync(join(tmpdir(), 'callctl-deskchat-'))
  const {tmux, screen, keys, type, shown} = tmuxServer('callctl-deskchat', 'desk')
  let h: Harness
  let server: ApiServer
  const sent = async () => (await h.engine.chat.history('web', 'visitor-1')).map((m) => m.text ?? '')

  beforeAll(async () => {
    h = await startTestEngine({
      queues: {support: {wrapUp: 0}},
      agents: [{id: '1001', queues: ['support'], ring: 1, talk: {min: 4, max: 4}}],
      engine: {chat: {settings: chatSettings({queue: 'support', acceptTimeout: '60s'}, null)}},
    })
    // The web channel's side: what reaches the customer is kept by the core (history).
    h.engine.chat.register({kind: 'web', deliver: async () => undefined})
    // The customer's earlier call, with a note, for the history.
    const t = Date.now() - 86_400_000
    await h.store.appendEvents([
      {type: 'call.started', ts: t, callId: 'old-1', data: {direction: 'inbound', number: CUSTOMER, name: 'Li Lei'}},
      {type: 'queue.entered', ts: t + 1000, callId: 'old-1', queue: 'support', data: {}},
      {type: 'call.connected', ts: t + 5000, callId: 'old-1', queue: 'support', agent: '1001', data: {}},
      {type: 'call.note', ts: t + 9000, callId: 'old-1', queue: 'support', agent: '1001', data: {note: 'n-old', text: 'Parcel 42 delayed', number: CUSTOMER, by: 'lina'}},
      {type: 'call.ended', ts: t + 60_000, callId: 'old-1', data: {cause: 'agent-hung-up'}},
    ])
    await repositoriesOf(h.store).kb.add({question: 'Where is my parcel?', answer: KB_ANSWER, tags: ['orders']})
    // The engine's API as run.ts wires it, with the desk: section's quick replies.
    const log = createLogger({level: 'warn'})
    server = new ApiServer({
      host: '127.0.0.1',
      port: 0,
      token: randomBytes(16).toString('hex'),
      handlers: engineHandlers(h.engine, {app: h.app, version: 'test', desk: {settings: deskSettings({quickReplies: [QUICK_REPLY]}, {}), defaultCountry: 'CN', vipTiers: ['vip']}}),
      log,
      checkResults: true,
      users: repositoriesOf(h.store).users,
      ownership: engineOwnership(h.engine),
      audit: (e) => h.engine.events.append(e),
    })
    const {url} = await server.listen()
    const token = (await addUser(h.store, {name: 'lina', role: 'agent', agent: '1001'})).token!
    const env = {CALLCTL_HOME: home, CALLCTL_API_PORT: new URL(url).port, CALLCTL_TOKEN: token, NO_COLOR: '1', FORCE_COLOR: '3'}
    const command = ['env', ...Object.entries(env).map(([k, v]) => `${k}=${shellQuote(v)}`), shellQuote(process.execPath), shellQuote(BIN), 'desk'].join(' ')
    await tmux('new-session', '-d', '-s', 'desk', '-x', '80', '-y', '24', command)
  })

  afterAll(async () => {
    await tmux('kill-server').catch(() => undefined)
    await server?.close()
    await finish(h)
    rmSync(home, {recursive: true, force: true})
  })

  it('accepts an offered chat, reads it, answers with a quick reply, a typed line and a KB answer, and closes it', async () => {
    await shown('the desk, idle', (s) => / IDLE /.test(s))
    const {conversation: id} = await h.engine.chat.receive({channel: 'web', customer: 'visitor-1', name: 'Li Lei', number: CUSTOMER, text: 'Where is my parcel?'})
    let s = await shown('the offer on the desk', (s) => /^ {2}OFFERED +Li Lei +web +1 new +Where is my parcel\?/m.test(s))
    expect(s).toContain('a accept')

    await keys('a')
    await h.waitFor('the chat accepted', () => h.engine.chat.get(id)!.state === 'active', 15_000)
    s = await shown('the chat in front', (s) => /^> ACTIVE +Li Lei/m.test(s) && s.includes('You are now chatting with'))
    expect(s).toMatch(/^Chat with Li Lei · web · \+15557300001 · queue support$/m)
    expect(s).toMatch(/^\d\d:\d\d Li Lei: Where is my parcel\?$/m)
    expect(s).toContain('Enter write · c quick reply · / kb answer · t transfer · x close · i history')

    // The customer writes something hostile: shown inert, as text.
    await h.engine.chat.receive({channel: 'web', customer: 'visitor-1', text: HOSTILE})
    s = await shown('the hostile line, inert', (s) => s.includes('Li Lei: Is it <b>lost</b>?'))
    expect(s).not.toContain('pwned')
    expect((await tmux('display-message', '-p', '-t', 'desk', '#{pane_title}')).stdout).not.toContain('pwned')

    // The customer's history, by the number it gave.
    await keys('i')
    s = await shown('the history', (s) => s.includes('History of +15557300001: last 1'))
    expect(s).toMatch(/ call +support +answered +1001 +"Parcel 42 delayed"/)
    await keys('i')
    await shown('the transcript again', (s) => s.includes('Li Lei: Where is my parcel?'))

    // A quick reply by its key, then a typed line.
    await keys('c')
    await shown('the quick replies', (s) => s.includes('Quick replies: a number sends one to Li Lei'))
    await keys('1')
    await h.waitFor('the quick reply sent', async () => (await sent()).includes(QUICK_REPLY), 15_000)
    await keys('Enter')
    await shown('the reply being typed', (s) => s.includes('REPLY (typing'))
    await type('It is on its way.')
    await keys('Enter')
    await h.waitFor('the typed reply sent', async () => (await sent()).includes('It is on its way.'), 15_000)
    await keys('Escape')
    // A knowledge-base answer, found and sent to the customer in two keys.
    await keys('/')
    await shown('the search prompt', (s) => s.includes('Search the knowledge base:'))
    await type('parcel')
    await keys('Enter')
    await shown('the answers', (s) => s.includes('Knowledge base: a number sends the answer to Li Lei'))
    await keys('1')
    await h.waitFor('the answer sent', async () => (await sent()).includes(KB_ANSWER), 15_000)
    s = await shown('the answers in the transcript', (s) => s.includes('you: It is on its way.') && s.includes(`you: ${QUICK_REPLY}`) && s.includes('you: Parcels are tracked'))
    expect(s.split('\n').every((l) => [...l].length <= 80)).toBe(true)

    // Close: the customer is told and asked for a rating; the desk keeps it, closed, until x again.
    await keys('x')
    await h.waitFor('the chat closed', () => h.engine.chat.get(id)!.state === 'closed', 15_000)
    await shown('the chat closed on the desk', (s) => /^> CLOSED +Li Lei/m.test(s))
    expect(await sent()).toEqual(expect.arrayContaining([QUICK_REPLY, 'It is on its way.', KB_ANSWER, 'This conversation has ended.']))
    expect(h.engine.chat.transcript(id).lines.filter((l) => l.from === 'agent').map((l) => [l.agent, l.text])).toEqual([
      ['1001', QUICK_REPLY],
      ['1001', 'It is on its way.'],
      ['1001', KB_ANSWER],
    ])
    await keys('x')
    s = await shown('the chat put away', (s) => !s.includes('Chats 1'))
    // NO_COLOR: not a colour or style anywhere on the screen.
    expect((await tmux('capture-pane', '-p', '-e', '-t', 'desk')).stdout).not.toMatch(/\u001b\[[\d;]*m/)
    await keys('q')
  })
})
