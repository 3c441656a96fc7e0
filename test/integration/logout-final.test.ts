import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {runCli} from '../support/cli.js'
import {finish, startTestEngine, type Harness} from '../support/harness.js'

// Issue 12: an agent was rung 159 ms after `callctl agent logout` said "logged out" (the
// command wrote the store; the engine read it on its next 250 ms sync). Real Asterisk,
// the real command: once it returns, no channel of the agent's is up and none is made.

describe('agent logout is final the moment the command returns (real sandbox, CLI)', () => {
  let h: Harness | undefined
  const home = mkdtempSync(join(tmpdir(), 'callctl-logout-'))
  afterAll(async () => {
    await finish(h)
    rmSync(home, {recursive: true, force: true})
  })

  it('hangs up the ring in progress before it returns, and rings the agent no more', async () => {
    // l1's phone never answers (ring 999); two callers wait, so there is always someone to ring it for.
    h = await startTestEngine({
      queues: {lq: {ringTimeout: 20, autoPauseAfter: 0}},
      agents: [{id: 'l1', ring: 999, talk: {min: 1, max: 1}, queues: ['lq']}],
      api: true,
      // The sync loop as in production: logout must not depend on it.
      engine: {syncIntervalMs: 250},
    })
    // This CALLCTL_HOME announces the test engine, as `callctl engine start` would.
    mkdirSync(join(home, 'secrets'), {recursive: true})
    writeFileSync(join(home, 'secrets', 'api-token'), h.api!.token + '\n', {mode: 0o600})
    writeFileSync(join(home, 'engine.json'), JSON.stringify({url: h.api!.url, pid: process.pid, app: h.app, startedAt: new Date().toISOString()}))
    const env = {CALLCTL_HOME: home, CALLCTL_DB: h.store.file}

    const stamp = Date.now()
    await h.call({number: '+1666000001', did: 'lq', patience: 40, channelId: `lo-${stamp}-1`})
    await h.call({number: '+1666000002', did: 'lq', patience: 40, channelId: `lo-${stamp}-2`})
    const agentLegs = async () => (await h!.rest.listChannels()).filter((c) => c.id.includes('.r') && !c.id.startsWith('lo-'))
    await h.waitFor('l1 ringing in Asterisk', async () => (await agentLegs()).length > 0, 20_000)

    const r = await runCli(['agent', 'logout', 'l1'], env)
    const returned = Date.now()
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/logged out|offline/i)
    // The moment it returned: no ring of l1's left in Asterisk.
    expect(await agentLegs()).toEqual([])
    expect(h.engine.snapshot().agents.find((a) => a.id === 'l1')!.state).toBe('offline')

    // The callers still wait; for 3 s (twelve syncs) nothing rings l1.
    await new Promise((res) => setTimeout(res, 3000))
    expect(await agentLegs()).toEqual([])
    const events = await h.events()
    const ringsAfter = events.filter((e) => e.type === 'agent.ringing' && e.agent === 'l1' && e.ts > returned)
    expect(ringsAfter).toEqual([])
    const canceled = events.filter((e) => e.type === 'agent.ring_canceled' && e.agent === 'l1')
    expect(canceled.map((e) => e.data.reason)).toContain('logged out')
    expect(canceled.every((e) => e.ts <= returned)).toBe(true)
    for (const ch of await h.rest.listChannels()) await h.rest.hangup(ch.id).catch(() => undefined)
  })
})
