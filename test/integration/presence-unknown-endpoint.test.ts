// An agent whose endpoint is no phone Asterisk has (`agent add 1001 --endpoint PJSIP/1001`
// with nothing provisioned; misuse report 20, finding 5), on the real sandbox. Asterisk
// refuses a whole subscription (422 "Event source does not exist") for one unknown
// endpoint: phone presence lost every phone of the batch and logged a bug, so a provisioned
// phone that was not registered showed idle and was rung. Now the unknown phone costs only
// itself: it is unreachable with one warning that says the fix, the others are watched.
import {rmSync} from 'node:fs'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import {addAgent} from '../../src/engine/admin/admin.js'
import {AriHttp} from '../../src/engine/ari/index.js'
import {createLogger} from '../../src/engine/util/log.js'
import {sandboxCreds, startTestEngine, type Harness} from '../support/harness.js'
import {addPhones, finishSipFile, phoneHome, waitAgentState} from '../support/sip/engine-phones.js'
import {startSippPhone, type SippPhone} from '../support/sip/sipp.js'

/** Nothing provisions it until the second test. */
const UNKNOWN = '8391'
/** Provisioned, never registered. */
const OFFLINE = '8392'
const agent = (id: string) => ({id, ring: 0, talk: {min: 1, max: 1}, queues: ['nx']})

describe('an agent on a PJSIP endpoint Asterisk does not have', () => {
  const sip = inject('sandbox').sip
  const home = phoneHome()
  const rest = new AriHttp(sandboxCreds())
  /** The engine's log, every level from info. */
  const lines: string[] = []
  let h: Harness
  let phone: SippPhone | undefined

  beforeAll(async () => {
    const stale = await rest.getEndpoint('PJSIP', UNKNOWN).then(() => true, () => false)
    if (stale) throw new Error(`the sandbox already has an endpoint PJSIP/${UNKNOWN} (left by an earlier run?): this test needs it absent`)
    h = await startTestEngine({
      queues: {nx: {wrapUp: 0}},
      agents: [agent('nx1'), agent('nx2')],
      phones: {paths: home.paths},
      log: createLogger({level: 'info', write: (line) => lines.push(line)}),
      beforeStart: async (store) => {
        await addAgent(store, {id: 'nx1', endpoint: `PJSIP/${UNKNOWN}`}, {update: true})
        await addPhones(store, home.paths, rest, [{id: OFFLINE, agent: 'nx2'}])
      },
    })
  })

  afterAll(async () => {
    if (phone) {
      await phone.stop()
      rmSync(phone.sipp.dir, {recursive: true, force: true})
    }
    expect(await finishSipFile({h, rest, home, phones: [UNKNOWN, OFFLINE]})).toEqual([])
  })

  const why = (id: string) => h.engine.snapshot().agents.find((a) => a.id === id)?.why

  it('both agents are unreachable and neither is rung; one warning with the fix, no bug line', async () => {
    await waitAgentState(h, 'nx1', 'unreachable')
    await waitAgentState(h, 'nx2', 'unreachable')
    expect(why('nx1')).toMatch(/: no such phone in Asterisk$/)
    // Read although its batch held the unknown phone: before, it stayed idle and was rung.
    expect(why('nx2')).toMatch(/: not registered$/)
    expect(h.engine.phoneContacts().find((c) => c.endpoint === `PJSIP/${UNKNOWN}`)?.state).toBe('missing')

    await h.call({number: '5559391', did: 'nx', patience: 1.5})
    const call = await h.ended('5559391', 15_000)
    expect(call.outcome).toBe('abandoned')
    expect((await h.events()).filter((e) => e.type === 'agent.ringing')).toEqual([])

    expect(lines.filter((l) => /^\S+ error /.test(l) || l.includes('bug in'))).toEqual([])
    const warned = lines.filter((l) => l.includes(`PJSIP/${UNKNOWN}`))
    expect(warned).toHaveLength(1)
    expect(warned[0]).toMatch(/ warn {2}agent nx1 rings on PJSIP\/8391, which is no phone Asterisk has: .*Try: callctl phone add 8391 --agent nx1/)
  })

  it('the phone provisioned later is watched from the next sync: its registration makes the agent idle', async () => {
    const more = await addPhones(h.store, home.paths, rest, [{id: UNKNOWN, agent: 'nx1'}])
    await h.waitFor('nx1 read as a phone that is not registered', () => why('nx1')?.endsWith(': not registered'), 10_000)
    phone = await startSippPhone({sip, user: UNKNOWN, password: more[UNKNOWN]!})
    // Only an event from the subscription brings it back: the engine reads no state by itself meanwhile.
    await waitAgentState(h, 'nx1', 'idle')
    expect(lines.filter((l) => /^\S+ error /.test(l) || l.includes('bug in'))).toEqual([])
  })
})
