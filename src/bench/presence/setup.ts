// bench:presence's own sandbox Asterisk and engine: its own CALLCTL_HOME (a temp dir) and
// HTTP port, so nothing of a demo, a test run or bench:load shares its phones or calls;
// the queue, agents and phones provisioned the product's way (addPhone with --agent
// turns the agent's endpoint into PJSIP/<id> and keeps the password in a 0600 secret);
// the engine as the built CLI (`callctl engine start`), as deployed. Small equivalents
// of bench/load's sandbox.ts and engine-child.ts, which are being changed for
// bench:load --sip.
import {startEngineChild, type EngineChild} from '../load/engine-child.js'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {addAgent, addQueue, loginAgent} from '../../engine/admin/admin.js'
import {AriHttp} from '../../engine/ari/index.js'
import type {QueueSettings} from '../../engine/model.js'
import {addPhone} from '../../engine/phones/phones.js'
import {readPhoneSecret} from '../../engine/phones/phone-secret.js'
import {sandboxDown, sandboxUp} from '../../engine/sandbox/sandbox.js'
import type {SandboxState} from '../../engine/sandbox/state.js'
import {SqliteStore} from '../../engine/store/sqlite-store.js'
import {createLogger} from '../../engine/util/log.js'
import {freePort} from '../../engine/util/net.js'
import {callctlPaths, type Paths} from '../../engine/util/paths.js'


export const QUEUE = 'presence'
/**
 * No wrap-up (a freed agent is offered the next caller at once, so a phone back is rung
 * at once and any stale state shows); no auto-pause (a silent phone's missed ring would
 * pause its agent after three and hide later offers); nothing recorded or announced.
 */
export const QUEUE_SETTINGS: Partial<QueueSettings> = {
  strategy: 'longest-idle',
  ringTimeout: 15,
  wrapUp: 0,
  autoPauseAfter: 0,
  autoPauseBusy: false,
  autoPauseUnavailable: false,
  record: false,
  announceEvery: 0,
  joinEmpty: true,
  leaveWhenEmpty: false,
  maxWait: 0,
}

export interface PresenceSandbox {
  home: string
  paths: Paths
  state: SandboxState
  creds: {url: string; user: string; password: string}
  rest: AriHttp
  down(): Promise<void>
}

/** keepHome: leave the CALLCTL_HOME (the engine's database) for a look afterwards; the sandbox goes all the same. */
export async function presenceSandbox(o: {keepHome?: boolean} = {}): Promise<PresenceSandbox> {
  const home = mkdtempSync(join(tmpdir(), 'callctl-bench-presence-'))
  const paths = callctlPaths({...process.env, CALLCTL_HOME: home})
  let state: SandboxState
  try {
    state = (await sandboxUp(paths, {port: await freePort(), log: createLogger({level: 'warn'})})).state
  } catch (err) {
    rmSync(home, {recursive: true, force: true})
    throw err
  }
  const creds = {url: state.ariUrl, user: state.ariUser, password: readFileSync(state.passwordFile, 'utf8').trim()}
  return {
    home,
    paths,
    state,
    creds,
    rest: new AriHttp(creds),
    async down() {
      await sandboxDown(paths, {force: true})
      rmSync(join(state.root, state.instanceDir), {recursive: true, force: true})
      if (!o.keepHome) rmSync(home, {recursive: true, force: true})
    },
  }
}

export interface BenchAgent {
  id: string
  /** Its phone: SIP user name and PJSIP endpoint id. */
  phone: string
  password: string
}

/** The queue, the agents (logged in) and one phone each, provisioned by the product's addPhone into the engine's store and pushed into the sandbox. */
export async function provision(sb: PresenceSandbox, n: number): Promise<BenchAgent[]> {
  const store = new SqliteStore(sb.paths.database)
  const agents: BenchAgent[] = []
  try {
    await addQueue(store, QUEUE, QUEUE_SETTINGS as Record<string, unknown>)
    for (let i = 1; i <= n; i++) {
      const id = `pa${String(i).padStart(3, '0')}`
      const phone = String(8400 + i)
      // A placeholder endpoint: addPhone --agent makes it PJSIP/<phone>.
      await addAgent(store, {id, endpoint: `PJSIP/${phone}`, queues: [QUEUE]})
      const r = await addPhone({store, paths: sb.paths, ari: () => sb.rest}, {id: phone, agent: id})
      if (r.asterisk !== 'applied') throw new Error(`phone ${phone} not pushed into the sandbox: ${r.asterisk} ${r.asteriskError ?? ''}`)
      const password = readPhoneSecret(sb.paths, phone)
      if (!password) throw new Error(`phone ${phone}: no secret file`)
      await loginAgent(store, id)
      agents.push({id, phone, password})
    }
  } finally {
    await store.close()
  }
  return agents
}

export type {EngineChild}

/** `callctl engine start` on the sandbox's home (its ARI and its app, which the carrier's calls enter), database and phone secrets. */
export function startEngine(sb: PresenceSandbox): Promise<EngineChild> {
  return startEngineChild({home: sb.home, db: sb.paths.database, app: sb.state.app})
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}
