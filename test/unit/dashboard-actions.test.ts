import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it, vi} from 'vitest'
import {addAgent, addQueue, listAgents, loginAgent, type AgentListing} from '../../src/engine/admin/admin.js'
import {agentHandlers} from '../../src/engine/api/agent-handlers.js'
import {EngineRequestError} from '../../src/engine/api/client.js'
import type {Connection} from '../../src/engine/api/server.js'
import {checkParams} from '../../src/engine/api/validate.js'
import type {Engine} from '../../src/engine/calls/engine.js'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'
import {engineActions} from '../../src/ui/dashboard/actions.js'
import {LOCAL_ADMIN} from '../../src/engine/users/roles.js'

const dir = mkdtempSync(join(tmpdir(), 'callctl-actions-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

const listing = (over: Partial<AgentListing>): AgentListing => ({id: 'a1', name: 'a1', endpoint: 'PJSIP/a1', skills: {}, queues: {sales: 0}, createdAt: 0, presence: 'available', pauseReason: null, presenceSince: 0, ...over})

describe('agent.pause and agent.unpause API methods', () => {
  it('write presence through the admin functions, with its event, into the engine’s store', async () => {
    const store = new SqliteStore(join(dir, 'engine.db'))
    await addQueue(store, 'sales', {})
    await addAgent(store, {id: 'a1', endpoint: 'PJSIP/a1', queues: ['sales']})
    await loginAgent(store, 'a1')
    // The handlers find the store through the engine, as in the API server.
    const h = agentHandlers({core: {store}} as unknown as Engine)
    const conn = {} as Connection
    expect(await h['agent.pause']!({agent: 'a1', reason: 'coaching'}, conn, LOCAL_ADMIN)).toMatchObject({id: 'a1', presence: 'paused', pauseReason: 'coaching'})
    expect((await listAgents(store))[0]).toMatchObject({presence: 'paused', pauseReason: 'coaching'})
    expect(await h['agent.unpause']!({agent: 'a1'}, conn, LOCAL_ADMIN)).toMatchObject({presence: 'available', pauseReason: null})
    const types: string[] = []
    for await (const e of store.events({types: ['agent.paused', 'agent.unpaused']})) types.push(`${e.type}:${e.agent}`)
    expect(types).toEqual(['agent.paused:a1', 'agent.unpaused:a1'])
    await expect(h['agent.pause']!({agent: 'nobody'}, conn, LOCAL_ADMIN)).rejects.toThrow('Agent "nobody" does not exist')
    // A missing agent never reaches the handler: the contract refuses it first.
    expect(checkParams('agent.pause', {})).toEqual({ok: false, error: {code: 'bad_request', message: 'agent: required, expected string of 1 to 256 characters'}})
    await store.close()
  })

  it("an agent pauses only for one of the center's reasons (desk.pauseReasons; the first when it gives none); a supervisor for any", async () => {
    const store = new SqliteStore(join(dir, 'reasons.db'))
    await addQueue(store, 'sales', {})
    await addAgent(store, {id: 'a1', endpoint: 'PJSIP/a1', queues: ['sales']})
    await loginAgent(store, 'a1')
    const h = agentHandlers({core: {store}} as unknown as Engine, {pauseReasons: ['午饭', 'training']})
    const conn = {} as Connection
    const lina = {user: 'lina', role: 'agent' as const, agent: 'a1'}
    await expect(h['agent.pause']!({agent: 'a1', reason: 'smoke'}, conn, lina)).rejects.toMatchObject({code: 'bad_reason', message: 'Pause reason "smoke" is not one of the center\'s: 午饭, training'})
    expect((await listAgents(store))[0]).toMatchObject({presence: 'available'})
    expect(await h['agent.pause']!({agent: 'a1', reason: 'training'}, conn, lina)).toMatchObject({presence: 'paused', pauseReason: 'training'})
    expect(await h['agent.pause']!({agent: 'a1'}, conn, lina)).toMatchObject({presence: 'paused', pauseReason: '午饭'})
    const boss = {user: 'wang', role: 'supervisor' as const, agent: null}
    expect(await h['agent.pause']!({agent: 'a1', reason: 'one-to-one'}, conn, boss)).toMatchObject({presence: 'paused', pauseReason: 'one-to-one'})
    await store.close()
  })

})

describe('dashboard actions', () => {
  it('supervise calls supervise.start with the agent or the call, the supervisor phone and who asked', async () => {
    const request = vi.fn(async () => ({id: 'sup-1', mode: 'monitor', from: 'PJSIP/2001', agent: 'a2', callId: 'call-1', switched: false}) as never)
    const a = engineActions({request, from: 'PJSIP/2001', by: 'li', pauseReason: 'supervisor'})
    expect(await a.supervise('monitor', 'a2', null)).toBe('Calling PJSIP/2001: once answered, you are listening to agent a2 (call call-1). Supervision sup-1.')
    expect(request).toHaveBeenLastCalledWith('supervise.start', {agent: 'a2', mode: 'monitor', from: 'PJSIP/2001', by: 'li'})
    await a.supervise('barge', 'a2', 'call-1')
    expect(request).toHaveBeenLastCalledWith('supervise.start', {call: 'call-1', mode: 'barge', from: 'PJSIP/2001', by: 'li'})
  })

  it('supervise without a supervisor phone says how to give one', async () => {
    const a = engineActions({request: vi.fn(), from: null, by: 'li', pauseReason: 'supervisor'})
    await expect(a.supervise('whisper', 'a2', null)).rejects.toThrow('No supervisor phone: restart with --from PJSIP/2001, or set supervisor.endpoint in the config')
  })

  it('pause uses agent.pause with the reason, and falls back to the store for an engine without it', async () => {
    const request = vi.fn(async () => listing({presence: 'paused', pauseReason: 'supervisor'}) as never)
    const a = engineActions({request, from: null, by: 'li', pauseReason: 'supervisor'})
    expect(await a.pause('a1')).toBe('Agent a1 is paused (supervisor); queues: sales.')
    expect(request).toHaveBeenCalledWith('agent.pause', {agent: 'a1', reason: 'supervisor', by: 'li'})

    const old = vi.fn(async () => {
      throw new EngineRequestError('agent.pause', {code: 'unknown_method', message: 'Unknown method "agent.pause"'})
    })
    const storeFallback = {pause: vi.fn(async () => listing({presence: 'paused', pauseReason: 'supervisor'})), unpause: vi.fn(async () => listing({}))}
    const b = engineActions({request: old, from: null, by: 'li', pauseReason: 'supervisor', storeFallback})
    expect(await b.pause('a1')).toBe('Agent a1 is paused (supervisor); queues: sales.')
    expect(storeFallback.pause).toHaveBeenCalledWith('a1', 'supervisor')
    expect(await b.unpause('a1')).toBe('Agent a1 is logged in; queues: sales.')

    // Other refusals are the engine's answer, not a reason to go around it.
    const refused = vi.fn(async () => {
      throw new EngineRequestError('agent.pause', {code: 'offline', message: 'Agent "a1" is logged out, so it cannot be paused'})
    })
    const c = engineActions({request: refused, from: null, by: 'li', pauseReason: 'supervisor', storeFallback})
    await expect(c.pause('a1')).rejects.toThrow('is logged out')
    expect(storeFallback.pause).toHaveBeenCalledTimes(1)
  })
})
