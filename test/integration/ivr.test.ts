import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {deployFlow} from '../../src/engine/ivr/flow-service.js'
import {loadPromptBook} from '../../src/engine/front-door.js'
import {ttsPrompt} from '../../src/engine/prompts/prompt-service.js'
import type {PlaybackEvent} from '../../src/engine/ari/port.js'
import {finish, sandboxPaths, startTestEngine, type Harness} from '../support/harness.js'
import {repositoriesOf} from '../../src/engine/store/repositories.js'

// The IVR on the real sandbox: simulated callers press keys with SendDTMF, hear real
// prompts (including espeak-ng ones), and end where the flow says.

let h: Harness | undefined

afterEach(async () => {
  await finish(h)
  h = undefined
})

async function deploy(h: Harness, yaml: string, did = '*'): Promise<void> {
  const file = join(mkdtempSync(join(tmpdir(), 'callctl-flow-')), 'flow.yaml')
  writeFileSync(file, yaml)
  await deployFlow(file, did, repositoriesOf(h.store).flows, await loadPromptBook(h.store, sandboxPaths()), h.store, Date.now())
}

const today = new Date().toISOString().slice(0, 10)
const MENU = `
flow: menu-test
start: welcome
calendars:
  always: {open: {daily: "00:00-24:00"}}
  shut-today: {open: {daily: "00:00-24:00"}, closed: [${today}]}
nodes:
  welcome: {type: play, prompt: sound:hello-world, next: hours}
  hours: {type: hours, calendar: always, open: menu, closed: closed}
  menu:
    type: menu
    prompt: [sound:vm-press, digits:1, sound:for]
    choices: {"1": sales, "2": support}
    timeout: 2
    retries: 1
    onTimeout: support
    onInvalid: goodbye
  sales: {type: queue, queue: sales}
  support: {type: queue, queue: support}
  goodbye: {type: hangup, prompt: sound:vm-goodbye}
  closed: {type: hangup, prompt: sound:vm-nobodyavail}
`

const agents = [
  {id: 's1', ring: 0, talk: {min: 1, max: 1}, queues: ['sales']},
  {id: 'p1', ring: 0, talk: {min: 1, max: 1}, queues: ['support']},
]

describe('IVR on the real sandbox', () => {
  it('routes callers by the keys they press, and takes the timeout and invalid-key paths', async () => {
    h = await startTestEngine({queues: {sales: {wrapUp: 0}, support: {wrapUp: 0}}, agents, frontDoor: true})
    await deploy(h, MENU)
    // Keys pressed during the welcome prompt answer the menu (type-ahead).
    await h.call({number: '+15550400001', did: '100', patience: 30, dtmf: 'ww1'})
    await h.call({number: '+15550400002', did: '100', patience: 30, dtmf: 'ww2'})
    await h.call({number: '+15550400003', did: '100', patience: 30}) // never presses: timeout path
    await h.call({number: '+15550400004', did: '100', patience: 30, dtmf: 'ww9wwwwwwwwww8'}) // wrong twice: invalid path
    const [sales, support, silent, wrong] = await Promise.all(['+15550400001', '+15550400002', '+15550400003', '+15550400004'].map((n) => h!.ended(n, 60_000)))
    expect([sales!.queue, sales!.agent]).toEqual(['sales', 's1'])
    expect([support!.queue, support!.agent]).toEqual(['support', 'p1'])
    expect(silent!.queue).toBe('support')
    expect(silent!.outcome).toBe('completed')
    expect(wrong!.outcome).toBe('ivr-hangup')
    expect(wrong!.queue).toBeNull()
    const events = await h.events()
    const keys = (callId: string) => events.filter((e) => e.callId === callId && e.type === 'ivr.keys').map((e) => `${e.data.node}:${e.data.keys}:${e.data.result}`)
    expect(keys(sales!.callId)).toEqual(['menu:1:choice'])
    expect(keys(wrong!.callId)).toEqual(['menu:9:invalid', 'menu:8:invalid'])
    expect(events.filter((e) => e.callId === silent!.callId && e.type === 'ivr.timeout')).toHaveLength(2)
    // The path through the flow is on record for every call.
    expect(events.filter((e) => e.callId === sales!.callId && e.type === 'ivr.node').map((e) => e.data.node)).toEqual(['welcome', 'hours', 'menu', 'sales'])
  })

  it('sends an after-hours call to the closed branch', async () => {
    h = await startTestEngine({queues: {sales: {}, support: {}}, agents, frontDoor: true})
    await deploy(h, MENU.replace('calendar: always', 'calendar: shut-today'))
    await h.call({number: '+15550400010', did: '100', patience: 30, dtmf: 'ww1'})
    const c = await h.ended('+15550400010')
    expect(c.outcome).toBe('ivr-hangup')
    const path = (await h.events()).filter((e) => e.callId === c.callId && e.type === 'ivr.node').map((e) => e.data.node)
    expect(path).toEqual(['welcome', 'hours', 'closed'])
  })

  it('refuses a blacklisted caller before the IVR', async () => {
    h = await startTestEngine({queues: {sales: {}, support: {}}, agents, frontDoor: true})
    await deploy(h, MENU)
    await repositoriesOf(h.store).blacklist.add({number: '+15550400020', reason: 'abuse', until: null}, Date.now())
    await h.call({number: '+15550400020', did: '100', patience: 30, dtmf: 'ww1'})
    const c = await h.ended('+15550400020')
    expect(c.outcome).toBe('blacklisted')
    expect(c.trail).toEqual(['call.started', 'call.rejected', 'call.ended'])
    const rejected = (await h.events()).find((e) => e.type === 'call.rejected')!
    expect(rejected.data).toMatchObject({reason: 'blacklisted', detail: 'abuse'})
  })

  it('plays a text-to-speech prompt for real', async () => {
    h = await startTestEngine({queues: {support: {wrapUp: 0}}, agents: [agents[1]!], frontDoor: true})
    const prompt = await ttsPrompt(h.store, sandboxPaths(), `tts-${h.app}`, '您好，欢迎致电客服中心', 'zh')
    expect(prompt.durationMs!).toBeGreaterThan(1000)
    await deploy(h, `
flow: tts
language: zh
start: hi
nodes:
  hi: {type: play, prompt: tts-${h.app}, next: q}
  q: {type: queue, queue: support}
`)
    const finished: PlaybackEvent[] = []
    h.ari.on('PlaybackFinished', (e) => finished.push(e))
    await h.call({number: '+15550400030', did: '100', patience: 30})
    const c = await h.ended('+15550400030')
    expect(c.outcome).toBe('completed')
    const played = finished.find((e) => e.playback.media_uri.includes(`/prompts/zh/tts-${h!.app}`))
    expect(played, `PlaybackFinished for the TTS prompt among ${finished.map((e) => e.playback.media_uri).join(', ')}`).toBeDefined()
    expect(played!.playback.state).toBe('done')
    // It really played: the caller reached the queue no sooner than the prompt's length.
    const events = await h.events()
    const entered = events.find((e) => e.callId === c.callId && e.type === 'queue.entered')!
    expect(entered.ts - c.startedAt).toBeGreaterThanOrEqual(prompt.durationMs! - 300)
  })

  it('asks for a survey when the agent hangs up first and stores the answer', async () => {
    h = await startTestEngine({queues: {support: {wrapUp: 0}}, agents: [{id: 'p1', ring: 0, talk: {min: 2, max: 2}, queues: ['support']}], frontDoor: true})
    await deploy(h, `
flow: survey-test
start: q
survey: {prompt: [sound:queue-thankyou], timeout: 5}
nodes:
  q: {type: queue, queue: support}
`)
    await h.call({number: '+15550400040', did: '100', patience: 30, survey: '4'})
    const c = await h.ended('+15550400040')
    expect(c.outcome).toBe('completed')
    const answer = (await h.events()).find((e) => e.type === 'survey.answered')
    expect(answer).toMatchObject({callId: c.callId, agent: 'p1', queue: 'support', data: {score: 4}})
  })
})
