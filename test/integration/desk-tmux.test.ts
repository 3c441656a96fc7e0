import {execFile, type ChildProcess} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {addAgent, addQueue, loginAgent} from '../../src/engine/admin/admin.js'
import {EngineClient} from '../../src/engine/api/client.js'
import {AriHttp} from '../../src/engine/ari/index.js'
import {loadPromptBook} from '../../src/engine/front-door.js'
import {deployFlow} from '../../src/engine/ivr/flow-service.js'
import {originateSimCaller, simAgentEndpoint} from '../../src/engine/sim/simulator.js'
import type {NewEvent} from '../../src/engine/store/events.js'
import {repositoriesOf} from '../../src/engine/store/repositories.js'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'
import {addUser} from '../../src/engine/users/users.js'
import {freePort} from '../../src/engine/util/net.js'
import {callctlPaths} from '../../src/engine/util/paths.js'
import {BIN, startEngineCli} from '../support/cli.js'
import {tmuxServer} from '../support/tmux.js'
import {cliEngineEnv, sandboxCreds} from '../support/harness.js'

let traceFile = ''
const trace = () => {
  try {
    return `\ndesk trace:\n${readFileSync(traceFile, 'utf8')}`
  } catch {
    return ''
  }
}
const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

/** Polls `fn` every 50 ms until it gives a value, or fails after the timeout (with what `last` says then: the screen). */
async function until<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 15_000, last?: () => Promise<string>): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v !== undefined && v !== false) return v as T
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `; the screen:\n${await last()}` : ''}${trace()}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

const FLOW = `
flow: desk
start: menu
nodes:
  menu:
    type: menu
    prompt: [sound:vm-press, digits:2, sound:for]
    choices: {"2": tag}
    timeout: 3
    retries: 1
    onTimeout: tag
    onInvalid: tag
  tag: {type: set, tags: [refund-line], next: help}
  help: {type: queue, queue: support}
`

const CUSTOMER = '+15557200001'
const KB_ANSWER = 'Use Forgot password on the login page; the link is valid for 24 hours.'
// A note written on the customer's earlier call that tries to rename the window and wipe the screen.
const HOSTILE_NOTE = 'Promised refund\u001b]0;pwned\u0007 by Friday\u001b[2J'
const LATENCY_CALLS = 20
/** The note the agent types, then pastes a hyperlink and a title sequence into (each shown by its text only). */
const NOTE = 'Customer asks where the refund is see link done (title)'

// An agent in `callctl desk` (the real binary, in tmux at 80x24, with its own user's token) takes a call end to end on
// the sandbox: the pop with the IVR key trail and the customer's history, a note typed, a
// ticket opened, the disposition chosen, ready again. Then the pop's latency from the
// agent's ring (agent.ringing's ts) to the caller's number on screen, over 20 calls.
describe('callctl desk in a terminal (tmux)', () => {
  const home = mkdtempSync(join(tmpdir(), 'callctl-desk-'))
  traceFile = join(home, 'trace')
  const app = `k${Math.random().toString(36).slice(2, 8)}`
  const {tmux, screen, keys, type} = tmuxServer(`callctl-desk-${app}`, 'desk')
  let env: Record<string, string>
  let engine: {child: ChildProcess; output: () => string}
  let api: EngineClient
  let rest: AriHttp
  const events: NewEvent[] = []
  let agentToken = ''
  const channels: string[] = []

  /** `callctl desk` as its agent: a user's token (CALLCTL_TOKEN), or the admin token with --agent. */
  const deskCommand = (who: {token: string} | {agent: string}, extra: string[] = []) =>
    ['env', ...extra, ...Object.entries(env).map(([k, v]) => `${k}=${shellQuote(v)}`), ...('token' in who ? [`CALLCTL_TOKEN=${shellQuote(who.token)}`] : []), shellQuote(process.execPath), shellQuote(BIN), 'desk', ...('agent' in who ? ['--agent', who.agent] : [])].join(' ')
  const event = (what: string, pred: (e: NewEvent) => boolean) => until(what, () => events.find(pred), 15_000, () => screen())
  const call = async (number: string, o: {name: string; did: string; dtmf?: string}) => {
    const id = await originateSimCaller(rest, {number, name: o.name, did: o.did, patience: 120, app, channelId: `sim-${app}-${number.slice(1)}`, ...(o.dtmf ? {dtmf: o.dtmf} : {})})
    channels.push(id)
  }

  beforeAll(async () => {
    const port = String(await freePort())
    env = cliEngineEnv({home, app, apiPort: port})
    rest = new AriHttp(sandboxCreds())
    writeFileSync(
      join(home, 'config.yaml'),
      [
        'desk:',
        '  pauseReasons: [break, lunch, training]',
        '  crmLink: https://crm.example.com/customers/{number}',
        '  quickReplies: ["Thank you for calling ACME, how can I help?"]',
      ].join('\n') + '\n',
    )
    // Queues, agents, flow, knowledge base and the customer's past, straight into the store.
    const paths = callctlPaths({...process.env, ...env})
    const store = new SqliteStore(paths.database)
    try {
      await addQueue(store, 'support', {wrapUp: 60, ringTimeout: 10, record: false, dispositions: [{code: 'resolved', label: 'Resolved', key: '1'}, {code: 'follow-up', label: 'Needs follow-up', key: '2'}]})
      await addQueue(store, 'fast', {wrapUp: 0, ringTimeout: 10, record: false})
      // 1001 keeps its caller until the desk hangs up; 1002 and 1003 talk a second.
      await addAgent(store, {id: '1001', name: 'Li Na', endpoint: simAgentEndpoint({id: 'k1001', ring: 0, talk: {min: 600, max: 600}}), queues: ['support']})
      for (const id of ['1002', '1003']) await addAgent(store, {id, name: `Agent ${id}`, endpoint: simAgentEndpoint({id: `k${id}`, ring: 0, talk: {min: 1, max: 1}}), queues: ['fast']})
      // 1001's desk runs as the agent user Li Na, with her own token.
      agentToken = (await addUser(store, {name: 'lina', role: 'agent', agent: '1001'})).token!
      await loginAgent(store, '1002')
      await loginAgent(store, '1003')
      const flow = join(home, 'flow.yaml')
      writeFileSync(flow, FLOW)
      await deployFlow(flow, '700', repositoriesOf(store).flows, await loadPromptBook(store, paths), store, Date.now())
      const repos = repositoriesOf(store)
      await repos.kb.add({question: 'How do I reset my password?', answer: KB_ANSWER, tags: ['account']})
      await repos.contacts.upsertMany([{number: CUSTOMER, name: 'Zhao Lei', tier: 'VIP', company: 'Acme', notes: 'key account', extra: {tags: 'wholesale'}}])
      const t = Date.now() - 2 * 86_400_000
      await store.appendEvents([
        {type: 'call.started', ts: t, callId: 'old-1', data: {direction: 'inbound', number: CUSTOMER, name: 'Zhao Lei'}},
        {type: 'queue.entered', ts: t + 1000, callId: 'old-1', queue: 'support', data: {}},
        {type: 'call.connected', ts: t + 5000, callId: 'old-1', queue: 'support', agent: '1001', data: {}},
        {type: 'call.note', ts: t + 9000, callId: 'old-1', queue: 'support', agent: '1001', data: {note: 'n-old', text: HOSTILE_NOTE, number: CUSTOMER, by: 'lina'}},
        {type: 'call.ended', ts: t + 60_000, callId: 'old-1', data: {cause: 'agent-hung-up'}},
        {type: 'call.disposition', ts: t + 70_000, callId: 'old-1', queue: 'support', agent: '1001', data: {code: 'follow-up', label: 'Needs follow-up', number: CUSTOMER, by: 'lina'}},
      ])
    } finally {
      await store.close()
    }
    // Customers called out are the sandbox's simulated callees.
    engine = await startEngineCli({...env, CALLCTL_DIAL_STRING: 'Local/{number}@callctl-sim-callee'})
    api = await EngineClient.connect(`ws://127.0.0.1:${port}/`, readFileSync(paths.apiTokenFile, 'utf8').trim())
    api.onEvent((e) => events.push(e as NewEvent))
    await api.request('events.subscribe')
    await api.request('ticket.add', {subject: 'Refund for order 42', number: CUSTOMER, priority: 'high'})
    await tmux('new-session', '-d', '-s', 'desk', '-x', '80', '-y', '24', deskCommand({token: agentToken}, ['CI=true', `CALLCTL_DESK_TRACE=${join(home, 'trace')}`]))
    // OSC 52 from the desk lands in tmux's paste buffer.
    await tmux('set-option', '-g', 'set-clipboard', 'on')
  })

  afterAll(async () => {
    await tmux('kill-server').catch(() => undefined)
    api?.close()
    for (const id of channels) await rest.hangup(id).catch(() => undefined)
    if (engine?.child.exitCode === null) {
      engine.child.kill('SIGTERM')
      await new Promise((r) => engine.child.once('exit', r))
    }
    rmSync(home, {recursive: true, force: true})
  })

  it('takes a call end to end: log in, pop with key trail and history, note, ticket, hang up, disposition, ready; then dials the customer back', async () => {
    const shown = async (what: string, test: (s: string) => boolean) =>
      until(
        what,
        async () => {
          const s = await screen()
          return test(s) ? s : undefined
        },
        15_000,
        () => screen(),
      )
    let s = await shown('the desk, logged out', (s) => s.includes('OFFLINE'))
    expect(s).toMatch(/^callctl desk · 1001 Li Na +live/m)
    expect(s).toContain('l log in')
    await keys('l')
    await until('1001 idle on the desk', async () => /^ IDLE /m.test(await screen()), 15_000, () => screen())

    await call(CUSTOMER, {name: 'Zhao Lei', did: '700', dtmf: 'ww2'})
    const ring = await event('1001 rung', (e) => e.type === 'agent.ringing' && e.agent === '1001')
    s = await until('the pop with its history', async () => {
      const s = await screen()
      return s.includes(CUSTOMER) && s.includes('History: last 2') ? s : undefined
    })
    // The pop at 80x24: caller, contact with tier and tags, queue, IVR key trail, CRM link, history.
    expect(s).toMatch(new RegExp(`\\${CUSTOMER}  Zhao Lei VIP  queue support · waited \\d+:\\d\\d`))
    expect(s).toMatch(/^Contact +VIP · Acme · tags wholesale, refund-line · key account/m)
    expect(s).toMatch(/^IVR keys +menu:2$/m)
    expect(s).toContain('https://crm.example.com/customers/%2B15557200001')
    expect(s).toMatch(/ T-\d{6} .*open .*"Refund for order 42" \(high\)/)
    // The hostile note is shown inert: its text, none of its tricks.
    expect(s).toMatch(/ call +support +answered +1001 +Needs follow-up "Promised refund/)
    expect(s).not.toContain('pwned')
    expect((await tmux('display-message', '-p', '-t', 'desk', '#{pane_title}')).stdout).not.toContain('pwned')
    await until('the call connected', async () => (await screen()).includes(' CONNECTED '), 15_000, () => screen())
    const callId = ring.callId!

    // Hold and back, DTMF to the caller.
    await keys('h')
    await event('call.held', (e) => e.type === 'call.held' && e.callId === callId)
    await until('ON HOLD on screen', async () => (await screen()).includes(' ON HOLD '), 15_000, () => screen())
    await keys('h')
    await event('call.unheld', (e) => e.type === 'call.unheld' && e.callId === callId)
    await keys('f')
    await shown('the DTMF prompt', (s) => s.includes('DTMF digits to send:'))
    await type('12#')
    await keys('Enter')
    await until('the DTMF sent', async () => (await screen()).includes('Sent 12# to the caller'), 15_000, () => screen())

    // The note, saved as typed.
    await keys('n')
    await shown('the note being typed', (s) => s.includes('NOTE (typing'))
    await type('Customer asks where the refund is')
    await event('the note saved as typed', (e) => e.type === 'call.note' && e.callId === callId && e.data?.text === 'Customer asks where the refund is')
    // Alt+x and a pasted hyperlink (the kind the desk prints itself) stay in the note: before,
    // Alt+x hung up the caller and the link's letters ran as keys (l logged out, h held the call).
    const typedFrom = events.length
    await keys('M-x')
    await tmux('set-buffer', '-b', 'link', ' see \u001b]8;;http://x\u001b\\link\u001b]8;;\u001b\\ done')
    await tmux('paste-buffer', '-b', 'link', '-t', 'desk')
    // Pasted as the terminal marks a paste (the desk asked for bracketed paste): text only.
    await tmux('set-buffer', '-b', 'title', ' (title\u001b]0;pwned\u0007)')
    await tmux('paste-buffer', '-p', '-b', 'title', '-t', 'desk')
    await event('the note with the pasted text', (e) => e.type === 'call.note' && e.callId === callId && e.data?.text === NOTE)
    const keysRun = ['call.hangup_requested', 'call.ended', 'call.held', 'agent.logout', 'agent.paused', 'call.transferred', 'call.disposition']
    expect(events.slice(typedFrom).filter((e) => keysRun.includes(e.type)).map((e) => e.type)).toEqual([])
    s = await shown('the end of the note typed', (s) => s.includes('see link done (title)'))
    expect(s).toContain(' CONNECTED ')
    expect(s).toContain('NOTE (typing')
    await keys('Enter')
    await until('the note shown saved', async () => /Note \(n\) saved/.test(await screen()), 15_000, () => screen())

    // A ticket from the call: the note is its description.
    await keys('k')
    await shown('the ticket prompt', (s) => s.includes('Ticket subject:'))
    await type('Refund not received')
    await keys('Enter')
    // (ticket events are written with the ticket's row, not pushed to subscribers: the engine is asked)
    const id = (await shown('the ticket on screen', (s) => /ticket T-\d{6}/.test(s))).match(/ticket (T-\d{6})/)![1]!
    const ticket = await api.request('ticket.get', {ticket: id})
    expect(ticket).toMatchObject({subject: 'Refund not received', number: CUSTOMER, calls: [callId], description: NOTE, assignee: {agent: '1001'}, status: 'open'})

    // The knowledge base: search, and one key copies the answer (OSC 52 into tmux's buffer).
    await keys('/')
    await shown('the search prompt', (s) => s.includes('Search the knowledge base:'))
    await type('password')
    await keys('Enter')
    await until('the KB hit', async () => /^ {2}1 {2}How do I reset my password\?/m.test(await screen()), 15_000, () => screen())
    await keys('1')
    await until('the answer copied', async () => (await tmux('show-buffer').catch(() => ({stdout: ''}))).stdout === KB_ANSWER)
    await keys('Escape')
    await shown('the answers closed', (s) => !s.includes('Knowledge base: a number copies'))

    // Hang up: wrap-up, with the disposition owed; ready is refused until it is chosen.
    await keys('x')
    s = await shown('wrap-up with the disposition owed', (s) => /^ WRAP-UP +\d+:\d\d left/m.test(s) && s.includes('DISPOSITION OWED'))
    expect(s).toContain('1-9 or d disposition')
    await keys('r')
    await until('ready refused', async () => (await screen()).includes('Choose a disposition first'), 15_000, () => screen())
    await keys('1')
    const disposition = await event('the disposition', (e) => e.type === 'call.disposition' && e.callId === callId)
    expect(disposition.data).toMatchObject({code: 'resolved', label: 'Resolved', number: CUSTOMER})
    await until('the disposition on screen', async () => (await screen()).includes('Disposition: Resolved'), 15_000, () => screen())
    await keys('r')
    await event('wrap-up ended early by the agent', (e) => e.type === 'agent.wrapup_ended' && e.agent === '1001')
    s = await shown('1001 ready again', (s) => /^ IDLE /m.test(s))
    expect(s.split('\n').every((l) => l.length <= 80)).toBe(true)

    // Dial the customer back from the desk (its number offered): the agent's phone rings first,
    // then the customer; the pop's history now has the call just taken, its disposition and note.
    await keys('g')
    await shown('the dial prompt with the customer', (s) => s.includes(`Dial number: ${CUSTOMER}`))
    await keys('Enter')
    const out = await event('the outbound call', (e) => e.type === 'call.started' && e.data?.direction === 'outbound' && e.agent === '1001')
    await event('the customer answering', (e) => e.type === 'call.connected' && e.callId === out.callId)
    s = await shown('the outbound pop with the call just taken', (s) => s.includes(' CONNECTED ') && s.includes('History: last 4'))
    expect(s).toMatch(/ call +support +answered +1001 +Resolved "Customer asks where the/)
    expect(s).toMatch(/ T-\d{6} +- +open +1001 +"Refund not received" \(normal\)/)
    writeFileSync(join(tmpdir(), 'desk-80x24.txt'), s)
    await keys('x')
    await shown('1001 idle after the outbound call', (s) => /^ IDLE /m.test(s))
  })

  it(`pops within 1 s of the agent's ring: p50 and p99 over ${LATENCY_CALLS} calls (two desks, NO_COLOR on one)`, async () => {
    await tmux('new-session', '-d', '-s', 'd2', '-x', '80', '-y', '24', deskCommand({agent: '1002'}, ['NO_COLOR=1', 'FORCE_COLOR=3']))
    await tmux('new-session', '-d', '-s', 'd3', '-x', '80', '-y', '24', deskCommand({agent: '1003'}))
    await until('both desks live', async () => (await screen('d2')).includes(' IDLE ') && (await screen('d3')).includes(' IDLE '))
    const numbers = Array.from({length: LATENCY_CALLS}, (_, i) => `+1555730${String(i).padStart(4, '0')}`)
    const start = events.length
    for (const [i, n] of numbers.entries()) await call(n, {name: i === 0 ? 'Evil\u001b]0;pwned\u0007Name' : `Caller ${i}`, did: 'fast'})
    // Each ring, then the first capture of its desk that shows its caller.
    const seen = new Map<string, number>()
    const latencies: number[] = []
    let leaked = false
    let evilShown = false
    await until(
      `all ${LATENCY_CALLS} pops`,
      async () => {
        const rings = events.slice(start).filter((e) => e.type === 'agent.ringing' && (e.agent === '1002' || e.agent === '1003'))
        const started = new Map(events.slice(start).filter((e) => e.type === 'call.started').map((e) => [e.callId!, String(e.data?.number)]))
        const [d2, d3] = await Promise.all([screen('d2'), screen('d3')])
        const at = Date.now()
        leaked ||= (d2 + d3).includes('pwned')
        evilShown ||= (d2 + d3).includes('EvilName')
        for (const r of rings) {
          const n = started.get(r.callId!)
          if (!n || seen.has(r.callId!)) continue
          if ((r.agent === '1002' ? d2 : d3).includes(n)) {
            seen.set(r.callId!, at)
            latencies.push(at - r.ts)
          }
        }
        return seen.size >= LATENCY_CALLS
      },
      60_000,
    )
    latencies.sort((a, b) => a - b)
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)]!
    console.log(`desk pop latency from agent.ringing over ${latencies.length} calls: p50 ${pct(50)} ms, p99 ${pct(99)} ms, max ${latencies.at(-1)} ms`)
    expect(pct(99)).toBeLessThanOrEqual(1000)
    // NO_COLOR: no colour or style on the desk; the hostile caller name inert.
    const styled = (await tmux('capture-pane', '-p', '-e', '-t', 'd2')).stdout
    expect(styled).not.toMatch(/\u001b\[[\d;]*m/)
    expect(leaked).toBe(false)
    expect(evilShown).toBe(true)
  })

  it('q quits and gives the terminal back', async () => {
    await keys('q')
    await until('the desk to exit', async () => !(await tmux('list-sessions').catch(() => ({stdout: ''}))).stdout.includes('desk:'))
  })
})
