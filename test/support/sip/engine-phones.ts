// Real SIP phones on a test engine (test/support/harness.ts): agents whose phones are
// provisioned by the product's own addPhone (what `callctl agent add --sip` and
// `callctl phone add --agent` run), carrier calls routed to the test's Stasis app, and
// waiting for the engine's events with their timestamps, so tests can measure figures.
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {AriHttp} from '../../../src/engine/ari/index.js'
import {addPhone, removePhone, type PhoneContext} from '../../../src/engine/phones/phones.js'
import {readPhoneSecret} from '../../../src/engine/phones/phone-secret.js'
import type {StoredEvent} from '../../../src/engine/store/events.js'
import type {SqliteStore} from '../../../src/engine/store/sqlite-store.js'
import {callctlPaths, type Paths} from '../../../src/engine/util/paths.js'
import {finish, type Harness} from '../harness.js'
import {killAllSipAgents} from './sipp.js'

/** A CALLCTL_HOME of the test's own: addPhone keeps each phone's password in its secrets/phones/. */
export function phoneHome(): {paths: Paths; remove(): void} {
  const home = mkdtempSync(join(tmpdir(), 'callctl-sip-home-'))
  return {paths: callctlPaths({...process.env, CALLCTL_HOME: home}), remove: () => rmSync(home, {recursive: true, force: true})}
}

export interface PhoneSpec {
  /** The phone's id: SIP user name and extension. */
  id: string
  /** The agent that rings on it (its endpoint becomes PJSIP/id), or none (a caller's or a supervisor's phone). */
  agent?: string
}

/**
 * Provisions phones with the product's addPhone: in the store (agent endpoint PJSIP/id),
 * the password in a 0600 secret, and pushed into the sandbox over ARI. Returns each
 * phone's password as read back from its secret file (what a user would type into the phone).
 */
export async function addPhones(store: SqliteStore, paths: Paths, rest: AriHttp, phones: PhoneSpec[]): Promise<Record<string, string>> {
  const ctx: PhoneContext = {store, paths, ari: () => rest}
  const passwords: Record<string, string> = {}
  for (const p of phones) {
    const r = await addPhone(ctx, {id: p.id, ...(p.agent ? {agent: p.agent} : {})})
    if (r.asterisk !== 'applied') throw new Error(`phone ${p.id} not pushed into the sandbox: ${r.asterisk} ${r.asteriskError ?? ''}`)
    const secret = readPhoneSecret(paths, p.id)
    if (!secret || secret !== r.password) throw new Error(`phone ${p.id}: the secret file does not hold the password addPhone showed`)
    passwords[p.id] = secret
  }
  return passwords
}

/** Takes the phones out of the store and the sandbox (endpoint, AOR and auth deleted from astdb). */
export async function removePhones(store: SqliteStore, paths: Paths, rest: AriHttp, ids: string[]): Promise<void> {
  const ctx: PhoneContext = {store, paths, ari: () => rest}
  for (const id of ids) await removePhone(ctx, id).catch(() => undefined)
}

/**
 * Carrier calls (and phones dialling a non-phone number) enter Stasis(${CALLCTL_APP}):
 * the dialplan global, since a SIP call carries no channel variable of ours. Pointed at
 * the test's engine; the returned function puts the sandbox's own app back. Integration
 * files run one at a time, so no other engine is waiting for these calls meanwhile.
 */
export async function routeCarrierTo(rest: AriHttp, app: string): Promise<() => Promise<void>> {
  const before = await rest.getGlobalVar('CALLCTL_APP')
  await rest.setGlobalVar('CALLCTL_APP', app)
  return () => rest.setGlobalVar('CALLCTL_APP', before)
}

/** The first event matching `pred` (optionally after event id `afterId`); waits for it. */
export async function waitEvent(h: Harness, what: string, pred: (e: StoredEvent) => boolean, o: {afterId?: number; timeoutMs?: number} = {}): Promise<StoredEvent> {
  return h.waitFor(what, async () => (await h.events()).find((e) => e.id > (o.afterId ?? 0) && pred(e)), o.timeoutMs ?? 15_000)
}

/** The id of the newest event so far: "after now" for waitEvent. */
export async function lastEventId(h: Harness): Promise<number> {
  const all = await h.events()
  return all.at(-1)?.id ?? 0
}

/** The agent's state as the engine shows it (idle, unreachable, other-call, on-call, ...). */
export function agentState(h: Harness, id: string): string | undefined {
  return h.engine.snapshot().agents.find((a) => a.id === id)?.state
}

/** Waits until the engine shows the agent in this state. */
export async function waitAgentState(h: Harness, id: string, state: string, timeoutMs = 10_000): Promise<void> {
  await h.waitFor(`agent ${id} ${state} (is ${agentState(h, id)})`, () => agentState(h, id) === state, timeoutMs)
}

/**
 * A baresip password with extra account parameters after it: startBaresip writes
 * `auth_pass=PASSWORD;answermode=...` into the accounts line, so `;name=value` after
 * the password reaches baresip as account parameters (e.g. audio_codecs=PCMA).
 *
 * Why tests need it: baresip 1.0's jitter buffer can drop every packet as "too late"
 * (log: "dropping N bytes ... (Connection timed out)") once the stream it receives has
 * switched SSRC a second time with sequence numbers behind the ones it played. Asterisk
 * switches when a two-party bridge of phones on the same codec relays one phone's RTP
 * as is (native RTP bridge) and then mixes itself again, which a supervisor's snoop
 * makes it do. The phone then records silence for the rest of the call (seen on two of
 * three supervised calls, the caller's or the agent's phone). A caller on PCMA and an
 * agent on PCMU keep Asterisk mixing (transcoding) throughout: one source, one SSRC.
 * A plain two-party call switches once (hold music to relay) and baresip copes.
 */
export function baresipPassword(password: string, params: Record<string, string>): string {
  return [password, ...Object.entries(params).map(([k, v]) => `${k}=${v}`)].join(';')
}

/**
 * The end of a SIP test file: every UA gone, the carrier routed back, the phones
 * removed with the product's removePhone, the engine stopped; and the shared sandbox
 * keeps none of these phones for the next file. Returns the phones still in Asterisk.
 */
export async function finishSipFile(o: {h: Harness | undefined; rest: AriHttp; home: {paths: Paths; remove(): void}; phones: string[]; restoreApp?: () => Promise<void>}): Promise<string[]> {
  await killAllSipAgents()
  await o.restoreApp?.()
  if (o.h) await removePhones(o.h.store, o.home.paths, o.rest, o.phones)
  await finish(o.h)
  o.home.remove()
  const left = await Promise.all(o.phones.map(async (id) => ((await o.rest.getEndpoint('PJSIP', id).then(() => true, () => false)) ? id : null)))
  return left.filter((id): id is string => id !== null)
}
