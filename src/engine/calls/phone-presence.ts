import {createHash} from 'node:crypto'
import {AriRequestError, AriTransportError, isNotFound, type ContactStatusChangeEvent, type DeviceStateChangedEvent, type EndpointStateChangeEvent} from '../ari/port.js'
import type {EngineCore} from './core.js'
import {scheduleDispatch} from './dispatch.js'

// Agent presence from the phone itself, as app_queue has it from device state: the
// engine subscribes its app to the endpoint and the device of every agent's SIP phone
// (ARI sends endpoint and device events only for what an app subscribed to) and
//   - an unregistered phone, or one that stops answering qualify pings, makes its agent
//     unreachable: offered nothing until the phone is back;
//   - a phone in use on a call the engine did not place (a direct call, a call it made
//     itself) or ringing for one is busy on another call (app_queue's ringinuse=no).
// Simulated agents (Local channels) have no such state and are always reachable.

/** A phone's registration as the engine last heard it (phone list, the API). */
export interface PhoneContact {
  /** PJSIP/1001 */
  endpoint: string
  state: 'online' | 'offline' | 'unknown' | 'missing'
  contact: string | null
  userAgent: string | null
  rttMs: number | null
  /** Contact status: Reachable, Unreachable, NonQualified, Removed, ... */
  status: string | null
  since: number
}

/** How long an "offline" waits for the contact event that says why (it follows within milliseconds). */
const OFFLINE_REASON_WAIT_MS = 100

/** Why an agent whose endpoint names no phone Asterisk has is unreachable (agent list's WHY). */
const NO_SUCH_PHONE = 'no such phone in Asterisk'

/** Device states in which the phone has a call up or ringing. */
const IN_USE = new Set(['INUSE', 'BUSY', 'RINGING', 'RINGINUSE', 'ONHOLD'])

/** The phone an agent's endpoint names, when it is one the engine can watch: PJSIP/1001, not PJSIP/123@trunk nor Local/... */
export function watchedPhone(endpoint: string): string | null {
  const m = /^PJSIP\/([A-Za-z0-9_.-]+)$/.exec(endpoint)
  return m ? `PJSIP/${m[1]}` : null
}

export class PhonePresence {
  /** PJSIP/1001 → agents ringing on it (usually one). */
  private readonly agentsOf = new Map<string, Set<string>>()
  /** Extra phones to watch that ring for no agent (a supervisor's): phone list shows them too. */
  private readonly extra = new Set<string>()
  private readonly subscribed = new Set<string>()
  /**
   * Watched phones Asterisk has no endpoint for (an agent's --endpoint PJSIP/1001 that
   * nothing provisioned): left unsubscribed, so every sync tries them again and a phone
   * added later is watched from the next sync on.
   */
  private readonly missing = new Set<string>()
  /** Phones Asterisk said went offline, while the engine waits an instant for why. */
  private readonly pendingOffline = new Map<string, ReturnType<typeof setTimeout>>()
  readonly contacts = new Map<string, PhoneContact>()
  private syncing: Promise<void> = Promise.resolve()

  /**
   * `cancelRings` ends the agent's rings in progress (ringing.ts, given by the engine: a
   * phone found gone mid-ring would otherwise hold its caller until the ring timeout).
   */
  constructor(
    private readonly core: EngineCore,
    private readonly cancelRings: (agentId: string, reason: string) => void,
  ) {}

  attach(): void {
    this.core.ari.on('EndpointStateChange', (e) => this.onEndpoint(e))
    this.core.ari.on('ContactStatusChange', (e) => this.onContact(e))
    this.core.ari.on('DeviceStateChanged', (e) => this.onDevice(e))
  }

  stop(): void {
    for (const t of this.pendingOffline.values()) clearTimeout(t)
    this.pendingOffline.clear()
  }

  /** Watch these phones besides the agents' (the store's phones). */
  setExtraPhones(ids: readonly string[]): void {
    this.extra.clear()
    for (const id of ids) this.extra.add(`PJSIP/${id}`)
  }

  /**
   * Subscribes to every watched phone not yet subscribed and reads its state now (at
   * start, after an admin change, and after every reconnect: Asterisk forgets an app's
   * subscriptions when it restarts, and states changed while the engine was away).
   * Runs one at a time; a call while one runs runs again after it.
   */
  sync(o: {fresh?: boolean} = {}): Promise<void> {
    this.syncing = this.syncing.then(() => this.syncNow(o.fresh ?? false)).catch((err: unknown) => {
      if (err instanceof AriTransportError) this.core.log.warn('could not read phone states; trying at the next reconnect', {error: err.message})
      else this.core.bug('phone presence sync', err)
    })
    return this.syncing
  }

  private async syncNow(fresh: boolean): Promise<void> {
    if (fresh) this.subscribed.clear()
    this.agentsOf.clear()
    for (const a of this.core.acd.agents.values()) {
      const phone = watchedPhone(a.endpoint)
      if (!phone) {
        // No longer on a phone the engine watches: it is what the ring says it is.
        this.core.acd.setReachable(a.id, true, null, this.core.clock.now())
        this.core.acd.setOtherCall(a.id, false, this.core.clock.now())
        continue
      }
      let set = this.agentsOf.get(phone)
      if (!set) this.agentsOf.set(phone, (set = new Set()))
      set.add(a.id)
    }
    const wanted = new Set([...this.agentsOf.keys(), ...this.extra])
    const gone = [...this.subscribed].filter((p) => !wanted.has(p))
    const added = [...wanted].filter((p) => !this.subscribed.has(p))
    if (gone.length > 0) {
      for (const batch of batches(gone)) await this.core.ari.unsubscribe(this.core.ari.app, batch.flatMap(sources)).catch(() => undefined)
      for (const p of gone) {
        this.subscribed.delete(p)
        this.contacts.delete(p)
      }
    }
    for (const p of this.missing) {
      if (wanted.has(p)) continue
      this.missing.delete(p)
      this.contacts.delete(p)
    }
    // Subscribe first, then read: a change between the two is then never lost.
    const missing = added.length > 0 ? await this.subscribe(added) : new Set<string>()
    for (const p of added) if (!missing.has(p)) this.subscribed.add(p)
    await Promise.all((fresh ? [...wanted] : added).filter((p) => !missing.has(p)).map((p) => this.readState(p)))
    if (missing.size > 0) await this.noSuchPhones(missing)
    scheduleDispatch(this.core)
  }

  /**
   * Subscribes these phones, SUBSCRIBE_BATCH to a request; returns those Asterisk has no
   * endpoint for. Asterisk refuses a whole request (422 "Event source does not exist",
   * subscribing none of it) for one unknown endpoint, so a refused batch goes again phone
   * by phone: an unknown phone costs only itself. Phones already found missing go alone
   * from the start, keeping the batches of the others whole.
   */
  private async subscribe(phones: readonly string[]): Promise<Set<string>> {
    const missing = new Set<string>()
    const alone = async (p: string): Promise<void> => {
      try {
        await this.core.ari.subscribe(this.core.ari.app, sources(p))
      } catch (err) {
        if (!isUnknownSource(err)) throw err
        missing.add(p)
      }
    }
    for (const batch of batches(phones.filter((p) => !this.missing.has(p)))) {
      if (batch.length === 1) {
        await alone(batch[0]!)
        continue
      }
      try {
        await this.core.ari.subscribe(this.core.ari.app, batch.flatMap(sources))
      } catch (err) {
        // Refused (Asterisk away is a transport error, thrown on): find the phone it was for.
        if (!(err instanceof AriRequestError)) throw err
        for (const p of batch) await alone(p)
      }
    }
    for (const p of phones) if (this.missing.has(p)) await alone(p)
    return missing
  }

  /**
   * Phones Asterisk has no endpoint for: their agents are unreachable, offered no call. An
   * agent's endpoint that nothing provisions is a configuration mistake, said once with
   * its fix; a phone callctl provisions is only not pushed yet (its phone.added follows;
   * a failed push is warned where it fails).
   */
  private async noSuchPhones(phones: ReadonlySet<string>): Promise<void> {
    const provisioned = new Set(((await this.core.opts.phones?.ids().catch(() => [])) ?? []).map((id) => `PJSIP/${id}`))
    const now = this.core.clock.now()
    for (const phone of phones) {
      this.missing.add(phone)
      const c = this.contactOf(phone, now)
      if (c.state !== 'missing') Object.assign(c, {state: 'missing', since: now})
      for (const id of this.setReach(phone, false, NO_SUCH_PHONE, {quiet: true})) {
        const resource = phone.slice('PJSIP/'.length)
        if (provisioned.has(phone)) this.core.log.info(`agent ${id}: phone ${phone} is not in Asterisk yet; offered no call until it is`)
        else {
          this.core.log.warn(
            `agent ${id} rings on ${phone}, which is no phone Asterisk has: offered no call until it is one. ` +
              `Try: callctl phone add ${resource} --agent ${id} (or give the agent another endpoint: callctl agent add ${id} --update --endpoint ...)`,
          )
        }
      }
    }
  }

  private async readState(phone: string): Promise<void> {
    const resource = phone.slice('PJSIP/'.length)
    const now = this.core.clock.now()
    let state: PhoneContact['state']
    try {
      state = (await this.core.ari.getEndpoint('PJSIP', resource)).state ?? 'unknown'
    } catch (err) {
      if (!isNotFound(err)) throw err
      state = 'missing'
    }
    const c = this.contactOf(phone, now)
    if (c.state !== state) Object.assign(c, {state, since: now})
    if (state === 'missing') {
      // Gone since it was subscribed (removed from Asterisk): watched again once it is back.
      this.subscribed.delete(phone)
      return this.noSuchPhones(new Set([phone]))
    }
    this.missing.delete(phone)
    this.setReach(phone, state === 'online' || state === 'unknown', 'not registered')
    if (state === 'online') {
      const device = await this.core.ari.getDeviceState(phone).catch(() => 'UNKNOWN')
      this.setDevice(phone, device)
    }
  }

  private onEndpoint(e: EndpointStateChangeEvent): void {
    const phone = `${e.endpoint.technology}/${e.endpoint.resource}`
    if (!this.subscribed.has(phone)) return
    const now = this.core.clock.now()
    const c = this.contactOf(phone, now)
    const state = e.endpoint.state ?? 'unknown'
    if (c.state !== state) Object.assign(c, {state, since: now})
    if (state === 'offline') {
      // Asterisk says offline first and why (contact removed, or no answer to qualify)
      // an instant later: wait for the why, briefly, so the event names the right one.
      if (this.pendingOffline.has(phone)) return
      const t = setTimeout(() => {
        this.pendingOffline.delete(phone)
        const now2 = this.contactOf(phone, this.core.clock.now())
        if (now2.state === 'offline') this.setReach(phone, false, now2.status === 'Unreachable' ? 'no answer to qualify' : 'not registered')
      }, OFFLINE_REASON_WAIT_MS)
      t.unref?.()
      this.pendingOffline.set(phone, t)
    } else if (state === 'online') {
      this.clearPending(phone)
      this.setReach(phone, true, null)
    }
  }

  private clearPending(phone: string): void {
    clearTimeout(this.pendingOffline.get(phone))
    this.pendingOffline.delete(phone)
  }

  private onContact(e: ContactStatusChangeEvent): void {
    const phone = `${e.endpoint.technology}/${e.endpoint.resource}`
    if (!this.subscribed.has(phone)) return
    const now = this.core.clock.now()
    const c = this.contactOf(phone, now)
    const info = e.contact_info
    const rtt = info.roundtrip_usec ? Number(info.roundtrip_usec) / 1000 : null
    const before = c.contact
    Object.assign(c, {contact: info.contact_status === 'Removed' ? null : info.uri, status: info.contact_status, rttMs: rtt !== null && Number.isFinite(rtt) && rtt > 0 ? rtt : c.rttMs, since: now})
    switch (info.contact_status) {
      case 'Removed':
      case 'Unreachable':
        // A contact the phone has already replaced (it re-registered after it died, and
        // Asterisk drops the dead one just after) says nothing about the phone now.
        if (before !== null && before !== info.uri) {
          Object.assign(c, {contact: before, status: 'Reachable'})
          break
        }
        if (info.contact_status === 'Removed') c.userAgent = null
        this.clearPending(phone)
        this.setReach(phone, false, info.contact_status === 'Removed' ? 'unregistered' : 'no answer to qualify')
        this.logPhone('phone.unregistered', phone, {contact: info.uri, how: info.contact_status === 'Removed' ? 'removed' : 'unreachable'})
        break
      case 'Reachable':
      case 'NonQualified':
      case 'Created':
      case 'Updated':
        this.setReach(phone, true, null)
        if (before !== info.uri || info.contact_status === 'Created') {
          this.logPhone('phone.registered', phone, {contact: info.uri, rttMs: c.rttMs})
          void this.readUserAgent(phone, info.aor, info.uri)
        }
        break
    }
  }

  /** The contact's User-Agent, which the event does not carry: the contact object's id is AOR;@md5(uri). */
  private async readUserAgent(phone: string, aor: string, uri: string): Promise<void> {
    try {
      const id = `${aor};@${createHash('md5').update(uri).digest('hex')}`
      const fields = await this.core.ari.getConfigObject('res_pjsip', 'contact', id)
      const ua = fields.find((f) => f.attribute === 'user_agent')?.value ?? null
      const c = this.contacts.get(phone)
      if (c && c.contact === uri) c.userAgent = ua || null
    } catch {
      // Only for display: an Asterisk that keeps contacts elsewhere leaves it empty.
    }
  }

  private onDevice(e: DeviceStateChangedEvent): void {
    if (!this.subscribed.has(e.device_state.name)) return
    this.setDevice(e.device_state.name, e.device_state.state)
  }

  /**
   * In use while the agent is idle means a call the engine did not place. While the
   * engine rings the agent or the agent talks on its call, the phone is in use because
   * of the engine: ignored. Once the engine's call has ended, the next device event
   * (NOT_INUSE) clears any doubt.
   */
  private setDevice(phone: string, device: string): void {
    const now = this.core.clock.now()
    const inUse = IN_USE.has(device)
    for (const id of this.agentsOf.get(phone) ?? []) {
      const a = this.core.acd.agents.get(id)
      if (!a) continue
      if (inUse && a.activity !== 'idle') continue
      const since = a.otherCallSince
      if (!this.core.acd.setOtherCall(id, inUse, now)) continue
      if (inUse) this.core.events.append({type: 'agent.other_call', agent: id, data: {phone, device}})
      else {
        this.core.events.append({type: 'agent.other_call_ended', agent: id, data: {phone, durationMs: now - since}})
        scheduleDispatch(this.core)
      }
    }
  }

  /** Returns the agents this made unreachable; `quiet` leaves the saying of it to the caller. */
  private setReach(phone: string, reachable: boolean, reason: string | null, o: {quiet?: boolean} = {}): string[] {
    const now = this.core.clock.now()
    const lost: string[] = []
    for (const id of this.agentsOf.get(phone) ?? []) {
      const a = this.core.acd.agents.get(id)
      if (!a) continue
      const since = a.reachSince
      const wasReachable = a.reachable
      this.core.acd.setReachable(id, reachable, reason, now)
      if (wasReachable === reachable) continue
      if (reachable) {
        this.core.events.append({type: 'agent.reachable', agent: id, data: {phone, unreachableMs: now - since}})
        scheduleDispatch(this.core)
      } else {
        this.core.events.append({type: 'agent.unreachable', agent: id, data: {phone, reason}})
        if (!o.quiet) this.core.log.warn(`agent ${id}: phone ${phone} unreachable (${reason})`)
        lost.push(id)
        // A ring already on its way to a phone found gone ends now: its caller is offered again.
        if (a.activity === 'ringing') this.cancelRings(id, `phone unreachable (${reason})`)
      }
    }
    return lost
  }

  private logPhone(type: 'phone.registered' | 'phone.unregistered', phone: string, data: Record<string, unknown>): void {
    this.core.events.append({type, data: {phone, ...data}})
  }

  private contactOf(phone: string, now: number): PhoneContact {
    let c = this.contacts.get(phone)
    if (!c) this.contacts.set(phone, (c = {endpoint: phone, state: 'unknown', contact: null, userAgent: null, rttMs: null, status: null, since: now}))
    return c
  }
}

/** Asterisk's answer to a subscription naming an endpoint it does not have. */
function isUnknownSource(err: unknown): boolean {
  return err instanceof AriRequestError && err.status === 422
}

function sources(phone: string): string[] {
  return [`endpoint:${phone}`, `deviceState:${phone}`]
}

/**
 * Phones per subscribe request: the sources travel in the query string, and 75 phones
 * made it too long for Asterisk's HTTP server (400, and no phone's events at all; found
 * by bench:load --sip).
 */
const SUBSCRIBE_BATCH = 20

function batches<T>(items: readonly T[]): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += SUBSCRIBE_BATCH) out.push(items.slice(i, i + SUBSCRIBE_BATCH))
  return out
}
