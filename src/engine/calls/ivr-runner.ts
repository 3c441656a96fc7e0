import type {AriRest} from '../ari/port.js'
import type {Flow} from '../ivr/flow.js'
import {CallGone, runFlow, type CallerContact, type IvrOutcome} from '../ivr/interpreter.js'
import type {PromptBook} from '../prompts/prompt-store.js'
import type {Clock} from '../util/clock.js'
import {CallMedia} from './call-media.js'
import type {CallSession} from './call-session.js'
import type {EventLog} from './event-log.js'

export interface IvrDeps {
  ari: AriRest
  clock: Clock
  events: EventLog
  prompts: PromptBook
  lookupContact(s: CallSession): Promise<CallerContact | null>
}

/**
 * Runs the caller through its flow. Every node entered, every key pressed (the key
 * trail) and every timeout is an event; the trail also stays on the session. Returns
 * null when the caller hung up on the way.
 */
export async function runIvr(s: CallSession, flow: Flow, version: number, d: IvrDeps): Promise<IvrOutcome | null> {
  s.state = 'ivr'
  s.flow = {name: flow.name, version, survey: flow.survey}
  const media = new CallMedia(d.ari, s.channelId, () => s.nextPlaybackId(), (p, lang) => d.prompts.media(p, lang, flow.language), d.clock)
  s.media = media
  // Keys pressed before the IVR started (callers type ahead) answer its first question.
  for (const k of s.earlyKeys.splice(0)) media.onDtmf(k)
  const base = {callId: s.id}
  d.events.append({...base, type: 'ivr.started', data: {flow: flow.name, version, did: s.did}})
  try {
    const outcome = await runFlow(
      flow,
      {
        play: (p, lang) => media.play(p, lang),
        readDigits: (o) => media.readDigits(o),
        lookupContact: () => d.lookupContact(s),
        now: () => new Date(d.clock.now()),
      },
      {
        caller: s.caller,
        did: s.did,
        contact: s.contact,
        language: s.contact?.language || flow.language,
        vars: {},
        priority: s.priority,
        tags: [],
        skills: null,
      },
      {
        node: (id, node) => {
          s.ivrPath.push(id)
          d.events.append({...base, type: 'ivr.node', data: {flow: flow.name, node: id, kind: node.type}})
        },
        keys: (id, keys, result) => {
          s.keyTrail.push({node: id, keys, result, at: d.clock.now()})
          d.events.append({...base, type: 'ivr.keys', data: {flow: flow.name, node: id, keys, result}})
        },
        timeout: (id) => d.events.append({...base, type: 'ivr.timeout', data: {flow: flow.name, node: id}}),
      },
    )
    d.events.append({...base, type: 'ivr.ended', data: {flow: flow.name, action: outcome.action, ...('queue' in outcome ? {queue: outcome.queue} : {}), keyTrail: s.keyTrail.map((k) => k.keys).join(',')}})
    return outcome
  } catch (err) {
    if (err instanceof CallGone) return null
    throw err
  } finally {
    if (s.media === media) s.media = null
  }
}

/**
 * After the agent hangs up first, the caller rates the call (1-5). The score is stored
 * with the call, agent and queue; anything else, or silence, is recorded as skipped.
 */
export async function runSurvey(s: CallSession, agent: string, d: Omit<IvrDeps, 'lookupContact'>): Promise<void> {
  const survey = s.flow?.survey
  if (!survey) return
  s.state = 'survey'
  // Tells a simulated caller the survey has begun (real callers just hear the prompt).
  await d.ari.setChannelVar(s.channelId, 'CALLCTL_SURVEY', '1').catch(() => undefined)
  const media = new CallMedia(d.ari, s.channelId, () => s.nextPlaybackId(), (p, lang) => d.prompts.media(p, lang, 'en'), d.clock)
  s.media = media
  const lang = s.contact?.language || 'en'
  try {
    await media.play(survey.prompt, lang)
    const {digits} = await media.readDigits({max: 1, terminator: null, timeoutMs: survey.timeout * 1000})
    if (/^[1-5]$/.test(digits)) {
      d.events.append({type: 'survey.answered', callId: s.id, queue: s.queue, agent, data: {score: Number(digits), flow: s.flow?.name}})
      await media.play(survey.thanks, lang)
    } else {
      d.events.append({type: 'survey.skipped', callId: s.id, queue: s.queue, agent, data: {keys: digits}})
    }
  } catch (err) {
    if (!(err instanceof CallGone)) throw err
    d.events.append({type: 'survey.skipped', callId: s.id, queue: s.queue, agent, data: {keys: '', hungUp: true}})
  } finally {
    s.media = null
  }
}
