import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {addAgent, addQueue, loginAgent} from '../../src/engine/admin/admin.js'
import type {StoredEvent} from '../../src/engine/store/events.js'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'
import {addUser, issueToken} from '../../src/engine/users/users.js'
import {freePort} from '../../src/engine/util/net.js'
import {runCli, type CliResult} from '../support/cli.js'

// Commands that write the store themselves (agent pause, login, logout without an engine,
// queue add...) with CALLCTL_TOKEN set act as that token's user, as the engine's API does
// (misuse report 20, finding 1): an agent only on its own agent with a reason of the
// center's, no configuration, the user named as `by`; an unknown or revoked token is
// refused in one line, exit 2. Without CALLCTL_TOKEN the local admin changes anything.
// No engine runs here (its API port is a free one nobody listens on): the store is all.

describe('CALLCTL_TOKEN on commands that write the store (real binary, no engine)', () => {
  const home = mkdtempSync(join(tmpdir(), 'callctl-store-token-'))
  let env: Record<string, string>
  let token = ''
  let admin = ''

  const as = (t: string, args: string[]): Promise<CliResult> => runCli(args, {...env, CALLCTL_TOKEN: t})
  const events = async (type: StoredEvent['type']): Promise<StoredEvent[]> => {
    const store = new SqliteStore(join(home, 'callctl.db'), {readonly: true})
    try {
      const out: StoredEvent[] = []
      for await (const e of store.events({types: [type]})) out.push(e)
      return out
    } finally {
      await store.close()
    }
  }
  /** One line and its hint: a user's mistake, no stack trace. */
  const refusedInOneLine = (r: CliResult, code: number, message: string | RegExp) => {
    expect(r.code, r.stderr).toBe(code)
    const lines = r.stderr.trim().split('\n')
    expect(lines[0]).toMatch(message)
    expect(lines.slice(1).every((l) => l.startsWith('  Try: '))).toBe(true)
    expect(r.stderr).not.toMatch(/callctl bug|\n\s+at /)
  }

  beforeAll(async () => {
    env = {CALLCTL_HOME: home, CALLCTL_API_PORT: String(await freePort()), CALLCTL_TOKEN: ''}
    // Written in-process: the CLI's own path is what the tests run.
    const store = new SqliteStore(join(home, 'callctl.db'))
    try {
      await addQueue(store, 'support', {})
      await addAgent(store, {id: '1001', name: 'Li Na', endpoint: 'PJSIP/1001', queues: ['support']})
      await addAgent(store, {id: 'sim01', endpoint: 'PJSIP/sim01', queues: ['support']})
      await loginAgent(store, '1001')
      await loginAgent(store, 'sim01')
      token = (await addUser(store, {name: '王芳', role: 'agent', agent: '1001'})).token!
      admin = (await addUser(store, {name: 'ops', role: 'admin'})).token!
    } finally {
      await store.close()
    }
  }, 60_000)

  afterAll(() => rmSync(home, {recursive: true, force: true}))

  it("refuses an agent's token on another agent, and on a reason outside desk.pauseReasons", async () => {
    const [other, logout, reason] = await Promise.all([
      as(token, ['agent', 'pause', 'sim01', '--reason', 'lunch']),
      as(token, ['agent', 'logout', 'sim01']),
      as(token, ['agent', 'pause', '1001', '--reason', 'notinlist']),
    ])
    refusedInOneLine(other, 1, 'Error: Forbidden: role agent may call agent.pause only for its own agent 1001, not sim01 (user 王芳)')
    refusedInOneLine(logout, 1, 'Error: Forbidden: role agent may call agent.logout only for its own agent 1001, not sim01 (user 王芳)')
    refusedInOneLine(reason, 2, /^Error: Pause reason "notinlist" is not one of the center's: break, lunch/)
    expect((await events('agent.paused')).length).toBe(0)
    expect((await events('agent.logout')).length).toBe(0)
  }, 30_000)

  it('lets the agent pause itself with a listed reason, the event naming the user as by', async () => {
    const r = await as(token, ['agent', 'pause', '1001', '--reason', 'lunch'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('Agent 1001 is paused (lunch)')
    const [paused] = await events('agent.paused')
    expect(paused).toMatchObject({agent: '1001', data: {reason: 'lunch', by: '王芳'}})
  }, 30_000)

  it("refuses configuration to an agent's token, and a made-up token for anything", async () => {
    const [config, bogus, bogusPause] = await Promise.all([
      as(token, ['queue', 'add', 'hacked', '--did', '555']),
      as('cct_bogus', ['queue', 'add', 'hacked', '--did', '555']),
      as('cct_bogus', ['agent', 'pause', '1001', '--reason', 'break']),
    ])
    refusedInOneLine(config, 1, 'Error: Forbidden: role agent may not read or change the configuration in the store (user 王芳)')
    refusedInOneLine(bogus, 2, 'Error: CALLCTL_TOKEN is not the token of any user')
    expect(bogus.stderr).toContain('callctl user token NAME')
    refusedInOneLine(bogusPause, 2, 'Error: CALLCTL_TOKEN is not the token of any user')
    expect((await events('queue.added')).map((e) => e.queue)).not.toContain('hacked')
  }, 30_000)

  it("lets an admin's token change the configuration, the user.* events naming it as by", async () => {
    const [queue, user] = await Promise.all([as(admin, ['queue', 'add', 'billing']), as(admin, ['user', 'add', 'li', '--role', 'supervisor', '--json'])])
    expect(queue.code, queue.stderr).toBe(0)
    expect(user.code, user.stderr).toBe(0)
    expect((await events('user.added')).find((e) => e.data.user === 'li')?.data).toMatchObject({role: 'supervisor', by: 'ops'})
    // Configuration changes name the admin too.
    expect((await events('queue.added')).find((e) => e.queue === 'billing')?.data.by).toBe('ops')
    const [agentAdded, agentRemoved] = [await as(admin, ['agent', 'add', 'tmp1', '--endpoint', 'PJSIP/tmp1']), await as(admin, ['agent', 'remove', 'tmp1'])]
    expect(agentAdded.code, agentAdded.stderr).toBe(0)
    expect(agentRemoved.code, agentRemoved.stderr).toBe(0)
    expect((await events('agent.added')).find((e) => e.agent === 'tmp1')?.data.by).toBe('ops')
    expect((await events('agent.removed')).find((e) => e.agent === 'tmp1')?.data).toEqual({by: 'ops'})

    // A supervisor pauses any agent for any reason, as over the API; the configuration, listings included, stays the admins'.
    const supervisor = (JSON.parse(user.stdout) as {token: string}).token
    const [pause, list] = await Promise.all([as(supervisor, ['agent', 'pause', 'sim01', '--reason', 'huddle']), as(supervisor, ['agent', 'list'])])
    expect(pause.code, pause.stderr).toBe(0)
    expect((await events('agent.paused')).find((e) => e.agent === 'sim01')?.data).toEqual({reason: 'huddle', by: 'li'})
    refusedInOneLine(list, 1, 'Error: Forbidden: role supervisor may not read or change the configuration in the store (user li)')

    // Tickets written by the CLI name the token's user too, not the login user of the shell.
    const added = await as(supervisor, ['ticket', 'add', '--subject', '退款 refund', '--json'])
    expect(added.code, added.stderr).toBe(0)
    const id = (JSON.parse(added.stdout) as {id: string}).id
    const commented = await as(supervisor, ['ticket', 'comment', id, '已回电'])
    expect(commented.code, commented.stderr).toBe(0)
    expect((await events('ticket.created')).find((e) => e.data.ticket === id)?.data.by).toBe('li')
    expect((await events('ticket.commented')).find((e) => e.data.ticket === id)?.data.by).toBe('li')
  }, 30_000)

  it('refuses a revoked token, naming the user to ask a new one for', async () => {
    const store = new SqliteStore(join(home, 'callctl.db'))
    await issueToken(store, '王芳', {revoke: true}).finally(() => store.close())
    const r = await as(token, ['agent', 'unpause', '1001'])
    refusedInOneLine(r, 2, 'Error: CALLCTL_TOKEN was revoked or replaced (user 王芳)')
    expect(r.stderr).toContain('callctl user token 王芳')
  }, 30_000)

  it('without CALLCTL_TOKEN the local admin changes anything, as before', async () => {
    const done = await Promise.all([runCli(['queue', 'add', 'sales', '--did', '556'], env), runCli(['agent', 'pause', 'sim01', '--reason', 'notinlist'], env)])
    for (const r of done) expect(r.code, r.stderr).toBe(0)
    const paused = (await events('agent.paused')).find((e) => e.agent === 'sim01' && e.data.reason === 'notinlist')
    expect(paused?.data).toEqual({reason: 'notinlist'})
    expect((await events('queue.added')).map((e) => e.queue)).toContain('sales')
    // The local admin's events stay as they were: nobody named.
    expect((await events('queue.added')).find((e) => e.queue === 'sales')?.data).not.toHaveProperty('by')
  }, 30_000)
})
