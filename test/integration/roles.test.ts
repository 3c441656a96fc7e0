import {Kind, type TSchema} from '@sinclair/typebox'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {WebSocket} from 'ws'
import {ACCESS_POLICY, type Rule} from '../../src/engine/api/access-policy.js'
import {EngineClient, EngineRequestError} from '../../src/engine/api/client.js'
import {CONTRACT, METHODS, type Method} from '../../src/engine/api/contract.js'
import {API_VERSION, type ApiResponse} from '../../src/engine/api/protocol.js'
import type {StoredEvent} from '../../src/engine/store/events.js'
import {addUser} from '../../src/engine/users/users.js'
import {runCli} from '../support/cli.js'
import {startTestEngine, type Harness} from '../support/harness.js'

// Roles on a real engine with a real Asterisk: every contract method (METHODS, so a method
// added later is tried too) by every role (admin, supervisor, an agent on its own agent and
// call, the same agent on another agent's), two live calls in progress. What the policy
// forbids is refused with `forbidden` naming the role and method, and recorded as
// auth.refused; what it allows is never refused as forbidden; the audit trail names the
// token's user whatever `by` says; a token replaced by `callctl user token` is refused on
// its very next request; and the engine goes on serving.

type Case = 'admin' | 'supervisor' | 'agent-own' | 'agent-other'
const CASES: Case[] = ['agent-other', 'agent-own', 'supervisor', 'admin']

/**
 * Who may call what, written out by hand: the policy's intent, checked against what the
 * engine does. A method not listed here (added after this test) is judged by its rule in
 * ACCESS_POLICY, and by its handler where the rule leaves it to the handler.
 */
const EXPECTED: Partial<Record<Method, Record<Case, 'allowed' | 'forbidden'>>> = {}
const all = {admin: 'allowed', supervisor: 'allowed', 'agent-own': 'allowed', 'agent-other': 'allowed'} as const
const own = {admin: 'allowed', supervisor: 'allowed', 'agent-own': 'allowed', 'agent-other': 'forbidden'} as const
const staff = {admin: 'allowed', supervisor: 'allowed', 'agent-own': 'forbidden', 'agent-other': 'forbidden'} as const
for (const m of ['engine.status', 'session.whoami', 'snapshot', 'events.subscribe', 'events.flush', 'calls.list'] as const) EXPECTED[m] = all
for (const m of ['call.get', 'agent.ready', 'agent.wrapup', 'agent.pause', 'agent.unpause', 'agent.logout', 'call.hold', 'call.unhold', 'call.hangup', 'call.transfer', 'call.transfer.complete', 'call.transfer.cancel'] as const) EXPECTED[m] = own
for (const m of ['phones.status', 'supervise.start', 'supervise.mode', 'supervise.stop', 'supervise.list'] as const) EXPECTED[m] = staff
EXPECTED['call.dial'] = {admin: 'allowed', supervisor: 'forbidden', 'agent-own': 'allowed', 'agent-other': 'forbidden'}

/** What the policy table says, for methods this test does not list ('handler' rules: either, the handler decides). */
function fromPolicy(m: Method, c: Case): 'allowed' | 'forbidden' | 'either' {
  if (c === 'admin') return 'allowed'
  const rule = ACCESS_POLICY[m] as Rule<Method>
  if (c === 'supervisor') return rule.supervisor ? 'allowed' : 'forbidden'
  const a = rule.agent
  if (a === 'refused') return 'forbidden'
  if (a === 'all' || (typeof a === 'object' && 'narrow' in a)) return 'allowed'
  if (a === 'handler' || (typeof a === 'object' && 'check' in a)) return c === 'agent-other' && typeof a === 'object' ? 'forbidden' : 'either'
  return c === 'agent-own' ? 'allowed' : 'forbidden'
}

/** Methods that end or move a call, or log an agent out: tried last, so the calls the others need are still there. */
const LAST: Method[] = ['call.transfer', 'call.transfer.complete', 'call.hangup', 'agent.logout']
const ORDER = [...METHODS.filter((m) => !LAST.includes(m)), ...LAST.filter((m) => METHODS.includes(m))]

/** Params for a method from its contract: every required field, and the agent and call it is about when it takes them. */
function paramsFor(m: Method, target: {agent: string; call: string}): Record<string, unknown> {
  const schema = CONTRACT[m].params as unknown as {properties: Record<string, TSchema>; required?: string[]}
  const out: Record<string, unknown> = {}
  for (const [name, s] of Object.entries(schema.properties)) {
    if (name === 'agent' || name === 'call') out[name] = target[name]
    // Every client may claim anyone: the audit must name the token's user instead.
    else if (name === 'by') out.by = 'mallory'
    else if (schema.required?.includes(name)) out[name] = sample(name, s)
  }
  return out
}

function sample(name: string, s: TSchema): unknown {
  const byName: Record<string, unknown> = {number: '+15550009999', from: 'PJSIP/nobody-here', reason: 'break', id: 'nothing-1', text: 'note', seconds: 5, types: ['call.connected']}
  const kind = s[Kind] as string
  const numeric = kind === 'Number' || kind === 'Integer'
  if (name in byName && typeof byName[name] === (numeric ? 'number' : kind === 'Array' ? 'object' : 'string')) return byName[name]
  switch (kind) {
    case 'String': {
      // The first of a few plain values the field's pattern and length accept (digits for DTMF, a number...).
      const fits = (v: string) => v.length >= Number(s.minLength ?? 0) && v.length <= Number(s.maxLength ?? Infinity) && (!s.pattern || new RegExp(s.pattern as string, 'u').test(v))
      return ['x', '1', '+15550009999', 'x1', '2026-01-01T00:00:00Z'].find(fits) ?? 'x'.repeat(Math.max(1, Number(s.minLength ?? 1)))
    }
    case 'Number':
    case 'Integer':
      return s.minimum ?? 1
    case 'Boolean':
      return false
    case 'Literal':
      return s.const
    case 'Union':
      return sample(name, (s.anyOf as TSchema[])[0]!)
    case 'Array':
      return []
    case 'Object': {
      const o: Record<string, unknown> = {}
      for (const r of (s.required as string[] | undefined) ?? []) o[r] = r === 'agent' ? 'nobody' : sample(r, (s.properties as Record<string, TSchema>)[r]!)
      return o
    }
    default:
      return 'x'
  }
}

describe('roles on every method (real engine, real Asterisk)', () => {
  let h: Harness
  let tokens: Record<'supervisor' | 'agent', string>
  let calls: {own: string; other: string}
  const clients: EngineClient[] = []
  const connect = async (token: string) => {
    const c = await EngineClient.connect(h.api!.url, token)
    clients.push(c)
    return c
  }

  beforeAll(async () => {
    h = await startTestEngine({
      queues: {q1: {wrapUp: 0, record: false}, q2: {wrapUp: 0, record: false}},
      agents: [
        {id: 'a1', ring: 0, talk: {min: 120, max: 120}, queues: ['q1']},
        {id: 'a2', ring: 0, talk: {min: 120, max: 120}, queues: ['q2']},
      ],
      api: true,
    })
    tokens = {
      supervisor: (await addUser(h.store, {name: 'sup', role: 'supervisor'})).token!,
      agent: (await addUser(h.store, {name: '王芳', role: 'agent', agent: 'a1'})).token!,
    }
    await h.call({number: '+15550170001', did: 'q1', patience: 120})
    await h.call({number: '+15550170002', did: 'q2', patience: 120})
    const connected = (agent: string) => h.waitFor(`${agent}'s call to connect`, () => h.engine.snapshot().calls.find((c) => c.agent === agent && c.state === 'connected')?.id)
    calls = {own: await connected('a1'), other: await connected('a2')}
  })

  afterAll(async () => {
    for (const c of clients) c.close()
    await h?.stop()
  })

  it('narrows what an agent sees to its own agent and calls', async () => {
    // A third caller waits in q1 (a1 is busy): counted in the agent's view, its number not shown.
    await h.call({number: '+15550170003', did: 'q1', patience: 60})
    await h.waitFor('the third caller waiting', () => h.engine.snapshot().queues.find((q) => q.name === 'q1')?.waiting.length === 1)
    const agent = await connect(tokens.agent)
    const snap = await agent.request('snapshot')
    expect(snap.agents.map((a) => a.id)).toEqual(['a1'])
    expect(snap.calls.map((c) => c.agent)).toEqual(['a1'])
    expect(Object.keys(snap.stats.agents).filter((a) => a !== 'a1')).toEqual([])
    expect(snap.supervisions).toBeUndefined()
    expect(snap.queues.find((q) => q.name === 'q1')?.waiting.map((w) => w.number)).toEqual([''])
    expect((await agent.request('calls.list')).calls.every((c) => c.agent === 'a1')).toBe(true)
    const sup = await connect(tokens.supervisor)
    expect((await sup.request('calls.list')).calls.map((c) => c.agent).sort()).toEqual(expect.arrayContaining(['a1', 'a2']))
  })

  it('refuses every forbidden call with `forbidden` naming the role and method, and no allowed one', async () => {
    const as: Record<Case, EngineClient> = {
      admin: await connect(h.api!.token),
      supervisor: await connect(tokens.supervisor),
      'agent-own': await connect(tokens.agent),
      'agent-other': await connect(tokens.agent),
    }
    const role: Record<Case, string> = {admin: 'admin', supervisor: 'supervisor', 'agent-own': 'agent', 'agent-other': 'agent'}
    const tried: {method: Method; who: Case; expected: string; got: string; message: string}[] = []
    for (const method of ORDER) {
      for (const who of CASES) {
        const target = who === 'agent-own' ? {agent: 'a1', call: calls.own} : {agent: 'a2', call: calls.other}
        let got = 'ok'
        let message = ''
        try {
          await as[who].request(method, paramsFor(method, target) as never)
        } catch (err) {
          if (!(err instanceof EngineRequestError)) throw err
          got = err.body.code
          message = err.body.message
        }
        tried.push({method, who, expected: EXPECTED[method]?.[who] ?? fromPolicy(method, who), got, message})
      }
    }
    expect(tried.length).toBe(METHODS.length * CASES.length)
    const forbidden = tried.filter((t) => t.expected === 'forbidden')
    const wrong = tried.filter((t) => (t.expected === 'forbidden' ? t.got !== 'forbidden' : t.expected === 'allowed' && t.got === 'forbidden'))
    expect(wrong, 'calls the policy decides otherwise').toEqual([])
    // Every refusal, the policy's or a handler's: one line naming the role, the method and the user.
    for (const t of tried.filter((x) => x.got === 'forbidden')) {
      expect(t.message).toMatch(new RegExp(`^Forbidden: .*role ${role[t.who]}\\b.*${t.method.replaceAll('.', '\\.')}.* \\(user (sup|王芳)\\)$`))
      expect(t.message).not.toContain('\n')
    }
    // The agent role may not call the staff's methods, and not on another agent's resources.
    expect(forbidden.filter((t) => t.who === 'agent-other').length).toBeGreaterThanOrEqual(19)

    // Each refusal is an auth.refused event (under the budget of 60 a minute per user).
    const refusedCount = tried.filter((t) => t.got === 'forbidden').length
    const refusals = (await h.events()).filter((e) => e.type === 'auth.refused')
    expect(refusals).toHaveLength(refusedCount)
    expect(refusals.find((e) => e.data.method === 'supervise.list' && e.data.user === '王芳')).toMatchObject({agent: 'a1', data: {role: 'agent', reason: 'role agent may not call supervise.list'}})

    // The engine goes on serving every role, with each one's view.
    expect(await as.admin.request('engine.status')).toMatchObject({liveCalls: expect.any(Number)})
    expect(await as.supervisor.request('session.whoami')).toEqual({user: 'sup', role: 'supervisor', agent: null})
    expect(await as['agent-own'].request('session.whoami')).toEqual({user: '王芳', role: 'agent', agent: 'a1'})
    expect(await as.admin.request('session.whoami')).toEqual({user: 'admin', role: 'admin', agent: null})
  })

  it('the audit names the token’s user, whatever `by` the client sent', async () => {
    const stored = await h.events()
    expect(stored.filter((e) => e.data.by === 'mallory')).toEqual([])
    // The agent paused itself, the supervisor and the admin acted on a2 (call.hold, agent.pause, ...).
    const byOf = (type: string, agent: string) => stored.filter((e) => e.type === type && e.agent === agent).map((e) => e.data.by)
    expect(byOf('agent.paused', 'a1')).toEqual(['王芳'])
    expect(byOf('agent.paused', 'a2')).toEqual(expect.arrayContaining(['sup']))
    const held = stored.filter((e) => e.type === 'call.held')
    expect(held.length).toBeGreaterThan(0)
    for (const e of held) expect(['王芳', 'sup', 'admin']).toContain(e.data.by)
    expect(held.find((e) => e.callId === calls.own)?.data.by).toBe('王芳')
    expect(held.find((e) => e.callId === calls.other)?.data.by).toBe('sup')
  })

  it('refuses a token replaced by `callctl user token` on its very next request, and writes auth.failed', async () => {
    const agent = await connect(tokens.agent)
    expect(await agent.request('session.whoami')).toMatchObject({user: '王芳'})
    // A subscription made with the token is cut off too (checked every second), not left pushing events.
    const subscribed = await connect(tokens.agent)
    await subscribed.request('events.subscribe')
    let cutOff = false
    subscribed.onClose(() => (cutOff = true))
    const r = await runCli(['user', 'token', '王芳', '--json'], {CALLCTL_DB: h.store.file, CALLCTL_HOME: `${h.store.file}.home`})
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const issued = JSON.parse(r.stdout) as {token: string; user: {name: string; has_token: boolean}}
    expect(issued.user).toMatchObject({name: '王芳', has_token: true})
    // The same connection, the next request: refused, though nothing told the engine.
    const refused = await agent.request('session.whoami').then(
      () => null,
      (e: EngineRequestError) => e.body,
    )
    expect(refused).toMatchObject({code: 'unauthorized', message: 'This API token was revoked or replaced'})
    expect(await (await connect(issued.token)).request('session.whoami')).toEqual({user: '王芳', role: 'agent', agent: 'a1'})
    await h.waitFor('the subscription of the replaced token to be closed', () => cutOff, 5000)

    // --revoke: the new one stops too; a token nobody has is unknown; none at all is missing.
    const revoked = await runCli(['user', 'token', '王芳', '--revoke'], {CALLCTL_DB: h.store.file, CALLCTL_HOME: `${h.store.file}.home`})
    expect(revoked.code).toBe(0)
    expect(revoked.stdout).toContain('Token of 王芳 revoked')
    expect(await raw(h.api!.url, issued.token)).toMatchObject({ok: false, error: {code: 'unauthorized'}})
    expect(await raw(h.api!.url, 'cct_made-up')).toMatchObject({ok: false, error: {code: 'unauthorized', message: 'Unknown API token'}})
    expect(await raw(h.api!.url, undefined)).toMatchObject({ok: false, error: {code: 'unauthorized', message: 'Missing API token'}})
    const failed = (await h.events()).filter((e: StoredEvent) => e.type === 'auth.failed')
    expect(failed.map((e) => e.data.reason)).toEqual(['revoked', 'revoked', 'unknown', 'missing'])
    expect(failed[0]!.data).toMatchObject({user: '王芳', method: 'session.whoami', address: expect.stringMatching(/^(::ffff:)?127\.0\.0\.1:\d+$/)})
    // Through the binary: refused credentials, one line with the fix, exit 2 (as a command checking the token on the store).
    const cli = await runCli(['calls', '--json'], {CALLCTL_DB: h.store.file, CALLCTL_HOME: `${h.store.file}.home`, CALLCTL_API_PORT: new URL(h.api!.url).port, CALLCTL_TOKEN: issued.token})
    expect(cli.code, cli.stderr).toBe(2)
    expect(JSON.parse(cli.stdout)).toMatchObject({error: {code: 'unauthorized', message: 'This API token was revoked or replaced'}})
    // Still serving.
    expect(await (await connect(tokens.supervisor)).request('engine.status')).toMatchObject({app: h.app})
  })

  it('callctl user: a mistake is one line with what to try, --json lists the users', async () => {
    const env = {CALLCTL_DB: h.store.file, CALLCTL_HOME: `${h.store.file}.home`}
    const bad = await runCli(['user', 'add', 'lee', '--role', 'boss'], env)
    expect(bad.code).toBe(2)
    expect(bad.stderr).toBe('Error: Unknown role "boss"\n  Try: Roles: admin, supervisor, agent.\n')
    const list = await runCli(['user', 'list', '--json'], env)
    expect(list.code).toBe(0)
    expect((JSON.parse(list.stdout) as {users: {name: string; role: string; agent: string | null; has_token: boolean}[]}).users.map((u) => [u.name, u.role, u.agent, u.has_token])).toEqual([
      ['sup', 'supervisor', null, true],
      ['王芳', 'agent', 'a1', false],
    ])
  })
})

/** One request on a fresh bare WebSocket with this token (or none). */
function raw(url: string, token: string | undefined): Promise<ApiResponse> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url)
    ws.once('error', reject)
    ws.once('open', () => ws.send(JSON.stringify({v: API_VERSION, id: 1, method: 'session.whoami', params: {}, ...(token === undefined ? {} : {token})})))
    ws.once('message', (data) => {
      ws.close()
      resolve(JSON.parse(data.toString()) as ApiResponse)
    })
  })
}
