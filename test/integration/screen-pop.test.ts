import {mkdtempSync, writeFileSync} from 'node:fs'
import {createServer, type Server} from 'node:http'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {contactLookup, loadPromptBook} from '../../src/engine/front-door.js'
import {deployFlow} from '../../src/engine/ivr/flow-service.js'
import type {PlaybackEvent} from '../../src/engine/ari/port.js'
import {finish, sandboxPaths, startTestEngine, type Harness} from '../support/harness.js'
import {repositoriesOf} from '../../src/engine/store/repositories.js'

// Screen pop on the real sandbox: the caller's contact is found at the door, a VIP is
// greeted by name of tier and jumps the line, and a CRM that hangs does not stop calls.

let h: Harness | undefined
let crm: Server | undefined

afterEach(async () => {
  crm?.closeAllConnections()
  crm?.close()
  crm = undefined
  await finish(h)
  h = undefined
})

const FLOW = `
flow: vip
start: who
nodes:
  who: {type: branch, on: contact.vip, cases: {"true": vip-hello}, default: q}
  vip-hello: {type: play, prompt: sound:hello, next: q}
  q: {type: queue, queue: support}
`

async function deploy(h: Harness): Promise<void> {
  const file = join(mkdtempSync(join(tmpdir(), 'callctl-flow-')), 'flow.yaml')
  writeFileSync(file, FLOW)
  await deployFlow(file, '*', repositoriesOf(h.store).flows, await loadPromptBook(h.store, sandboxPaths()), h.store, Date.now())
}

describe('contacts and screen pop on the real sandbox', () => {
  it('greets a VIP contact and serves it before callers who came earlier', async () => {
    h = await startTestEngine({queues: {support: {wrapUp: 0}}, agents: [{id: 'p1', ring: 0, talk: {min: 3, max: 3}, queues: ['support']}], frontDoor: true})
    await repositoriesOf(h.store).contacts.upsertMany([{number: '+8613800000099', name: '王芳', tier: 'VIP', language: '', company: 'Acme', notes: 'key account'}])
    await deploy(h)
    const played: PlaybackEvent[] = []
    h.ari.on('PlaybackFinished', (e) => played.push(e))
    await h.call({number: '+8613800000001', did: '100', patience: 60})
    await h.waitFor('the agent busy', () => h!.engine.snapshot().agents[0]!.state === 'on-call')
    await h.call({number: '+8613800000002', did: '100', patience: 60})
    await new Promise((r) => setTimeout(r, 300))
    await h.call({number: '+8613800000099', did: '100', patience: 60})
    await h.ended('+8613800000002', 40_000)
    const calls = await h.calls()
    const order = calls.filter((c) => c.connectedAt).sort((a, b) => a.connectedAt! - b.connectedAt!).map((c) => c.number)
    expect(order).toEqual(['+8613800000001', '+8613800000099', '+8613800000002'])
    const vip = calls.find((c) => c.number === '+8613800000099')!
    const events = (await h.events()).filter((e) => e.callId === vip.callId)
    expect(events.find((e) => e.type === 'call.contact')!.data).toMatchObject({source: 'local', found: true, name: '王芳', tier: 'VIP', vip: true, notes: 'key account'})
    expect(events.filter((e) => e.type === 'ivr.node').map((e) => e.data.node)).toEqual(['who', 'vip-hello', 'q'])
    expect(events.find((e) => e.type === 'queue.entered')!.data).toMatchObject({priority: 10})
    expect(played.some((e) => e.playback.media_uri === 'sound:hello' && e.playback.id.startsWith(vip.callId))).toBe(true)
  })

  it('a CRM webhook that hangs does not hold the call: the local contact is used after the timeout', async () => {
    crm = createServer(() => {
      /* never answers */
    })
    await new Promise<void>((r) => crm!.listen(0, '127.0.0.1', () => r()))
    const port = (crm.address() as {port: number}).port
    h = await startTestEngine({
      queues: {support: {wrapUp: 0}},
      agents: [{id: 'p1', ring: 0, talk: {min: 1, max: 1}, queues: ['support']}],
      frontDoor: (store) => ({lookupContact: contactLookup(store, {defaultCountry: 'CN', crm: {url: `http://127.0.0.1:${port}/callers/{number}`, timeoutMs: 400}})}),
    })
    await repositoriesOf(h.store).contacts.upsertMany([{number: '+8613800000077', name: 'Li Lei', tier: 'Gold', language: '', company: '', notes: ''}])
    await deploy(h)
    await h.call({number: '+8613800000077', did: '100', patience: 30})
    const c = await h.ended('+8613800000077')
    expect(c.outcome).toBe('completed')
    const contact = (await h.events()).find((e) => e.callId === c.callId && e.type === 'call.contact')!
    expect(contact.data).toMatchObject({source: 'local', found: true, name: 'Li Lei', tier: 'Gold'})
    expect(contact.data.error).toBe('CRM did not answer within 400 ms')
    const entered = (await h.events()).find((e) => e.callId === c.callId && e.type === 'queue.entered')!
    expect(entered.ts - c.startedAt).toBeLessThan(2000)
  })
})
