import type {
  AriEventMap,
  AriEventType,
  AriPort,
  AsteriskInfo,
  Bridge,
  Channel,
  ConfigTuple,
  ConnectionState,
  Endpoint,
  LiveRecording,
  OriginateParams,
  Playback,
  RecordParams,
  SnoopParams,
} from '../ari/port.js'
import {ARI_EVENT_TYPES, AriRequestError, type AriPressureLike} from '../ari/port.js'
import type {AriPressureView} from '../ari/pressure.js'

// Several Asterisk boxes as one ARI port, so the engine's call logic stays as it is: one
// queue line, one set of agents, calls on every box.
//
// A call lives where its caller arrived. Every leg the engine makes for it (agent rings,
// the bridge, recordings, supervision, a transfer's far end) is made on that box: the ids
// the engine gives them carry the call's id (CALL.r1, CALL.b, …), which the router binds to
// the caller's box when the call starts. An agent whose phone is registered on another box
// is rung from the call's box over the trunk between boxes (PJSIP/interbox/sip:ID@BOX),
// and that box only relays the ring to the phone. Why that way and not ringing the phone
// on its own box and joining the two boxes with a trunk call afterwards: one bridge, one
// recording and one place for every event of the call, no second call to keep in step
// (hold, transfer, supervision, teardown), and the trunk leg ends by itself with the call.
//
// What the boxes say about phones is merged: a phone registered on box B is offline on box
// A; it is online if online anywhere, and its device state is the one of the box it is
// registered on. Configuration pushed to Asterisk (phones) goes to every box, so a phone may
// register on any box the proxy gives it. A box that goes away for BOX_LOST_MS has its calls
// reported lost (onBoxLost) and is left out of new calls until it is back.

export interface BoxPort {
  name: string
  port: AriPort
  /** Where the other boxes send a ring for one of this box's phones. */
  sip: {host: string; port: number} | null
}

/** A box away this long is lost: its calls end with that reason (a restart takes them anyway). */
export const BOX_LOST_MS = 5_000

const CALL_ID = /call-[a-z0-9]+-[0-9a-f]+/

interface BoxState {
  name: string
  port: AriPort
  sip: {host: string; port: number} | null
  up: boolean
  /** Epoch ms its link dropped (the last moment it was seen answering); null while up. */
  downSince: number | null
  lostTimer: NodeJS.Timeout | undefined
  /** Its calls were reported lost in this outage: a restart found on its return is the same loss. */
  lostReported: boolean
  /** Endpoint state per resource (PJSIP/1001 → online/offline) as this box last said. */
  endpoints: Map<string, Endpoint>
  devices: Map<string, string>
}

export class BoxRouter implements AriPort {
  readonly app: string
  private readonly boxes: BoxState[]
  private readonly owner = new Map<string, BoxState>()
  private readonly callBox = new Map<string, BoxState>()
  /** Id prefixes bound to a call (aliasCall): a supervision's, by its id. */
  private readonly aliases = new Map<string, string>()
  /** Legs that ring or talk to a phone on another box over the trunk: that box, by channel. */
  private readonly via = new Map<string, BoxState>()
  private readonly handlers = new Map<AriEventType, Set<(e: never) => void>>()
  private readonly connectionHandlers = new Set<(s: ConnectionState) => void>()
  private readonly lostHandlers = new Set<(box: string, channels: string[], stranded: string[], awayMs: number) => void>()
  private next = 0
  /** Each box's startup time as last seen: a different one after a reconnect is a restart. */
  private readonly startup = new Map<BoxState, string>()
  /** What the engine is told Asterisk's startup time is: the router's, fixed (restarts are per box, above). */
  private readonly startedAt = new Date().toISOString()

  constructor(boxes: BoxPort[]) {
    if (boxes.length === 0) throw new Error('BoxRouter needs at least one box')
    this.app = boxes[0]!.port.app
    this.boxes = []
    for (const b of boxes) this.attach(b)
  }

  /**
   * A box that connected after the engine started (it was down then): it joins as a box
   * coming back does (phones pushed, presence read, calls checked).
   */
  addBox(b: BoxPort): void {
    const box = this.attach(b)
    void this.backUp(box)
  }

  private attach(b: BoxPort): BoxState {
    const box: BoxState = {name: b.name, port: b.port, sip: b.sip, up: true, downSince: null, lostTimer: undefined, lostReported: false, endpoints: new Map(), devices: new Map()}
    this.boxes.push(box)
    for (const type of ARI_EVENT_TYPES) box.port.on(type, (e: AriEventMap[typeof type]) => this.fromBox(box, type, e))
    box.port.onConnection((s) => this.connection(box, s))
    return box
  }

  /**
   * How hard the boxes are pressed, for the engine's load shedding and ring back-off
   * (calls/overload.ts, dispatch.ts). Engine-wide it is the boxes' best: overloaded only
   * when every box up is, and no ring held back while one box can take it; each caller is
   * shed by its own box's pressure (viewFor), so one slow box refuses its own new callers
   * while the others serve on. A box that is down counts for nothing (its calls are gone).
   */
  readonly pressure: AriPressureLike = {
    view: () => this.pressureView(),
    viewFor: (id) => {
      const box = this.route(id)
      return box?.port.pressure?.view() ?? null
    },
    onChange: (fn) => {
      let last = this.pressureView().overloaded
      const offs = this.boxes.map((b) =>
        b.port.pressure?.onChange(() => {
          const v = this.pressureView()
          if (v.overloaded !== last) fn(v)
          last = v.overloaded
        }),
      )
      return () => {
        for (const off of offs) off?.()
      }
    },
  }

  private pressureView(): AriPressureView {
    const views = this.boxes.filter((b) => b.up && b.port.pressure).map((b) => b.port.pressure!.view())
    const all = this.boxes.filter((b) => b.port.pressure).map((b) => b.port.pressure!.view())
    const sum = (k: 'requests' | 'failures' | 'inFlight') => all.reduce((n, v) => n + v[k], 0)
    return {
      overloaded: views.length > 0 && views.every((v) => v.overloaded),
      p90Ms: views.length > 0 ? Math.min(...views.map((v) => v.p90Ms)) : 0,
      backoffUntil: views.length > 0 ? Math.min(...views.map((v) => v.backoffUntil)) : 0,
      requests: sum('requests'),
      failures: sum('failures'),
      inFlight: sum('inFlight'),
    }
  }

  /** Each box and whether it serves now. */
  boxStates(): {name: string; up: boolean; downSince: number | null}[] {
    return this.boxes.map((b) => ({name: b.name, up: b.up, downSince: b.downSince})).sort((a, b) => a.name.localeCompare(b.name, 'en', {numeric: true}))
  }

  get boxNames(): string[] {
    return this.boxes.map((b) => b.name)
  }

  /** Which box a channel, bridge, playback or recording is on (null: unknown). */
  boxOf(id: string): string | null {
    return this.route(id)?.name ?? null
  }

  /** The box a call's legs go to; fixed by its caller's channel, or chosen at its first leg. */
  bindCall(callId: string, channelId: string): void {
    const box = this.owner.get(channelId)
    if (box) this.callBox.set(callId, box)
  }

  /**
   * A supervision's ids (sup-….s, sup-….b) carry no call id: bound to the call they watch,
   * so the supervisor's leg and its bridge are made on the box of the call's bridge,
   * where the snoop on the agent's leg is (a bridge cannot span boxes).
   */
  aliasCall(alias: string, callId: string | null): void {
    if (callId === null) this.aliases.delete(alias)
    else this.aliases.set(alias, callId)
  }

  /**
   * A box was away for BOX_LOST_MS (or came back restarted): the channels it held are gone
   * with it. `awayMs`: how long ago it was last seen answering, when its calls really ended
   * (the loss is declared BOX_LOST_MS later).
   */
  onBoxLost(fn: (box: string, channels: string[], stranded: string[], awayMs: number) => void): void {
    this.lostHandlers.add(fn)
  }

  // ---- events ------------------------------------------------------------------

  on<K extends AriEventType>(type: K, handler: (event: AriEventMap[K]) => void): void {
    let set = this.handlers.get(type)
    if (!set) this.handlers.set(type, (set = new Set()))
    set.add(handler as (e: never) => void)
  }

  onConnection(handler: (s: ConnectionState) => void): void {
    this.connectionHandlers.add(handler)
  }

  private emit(type: AriEventType, event: unknown): void {
    for (const h of this.handlers.get(type) ?? []) (h as (e: unknown) => void)(event)
  }

  private fromBox<K extends AriEventType>(box: BoxState, type: K, event: AriEventMap[K]): void {
    const e = event as {channel?: Channel; bridge?: Bridge; playback?: Playback; recording?: LiveRecording; replace_channel?: Channel}
    if (e.channel) this.own(e.channel.id, box)
    if (e.replace_channel) this.own(e.replace_channel.id, box)
    if (e.bridge) this.own(e.bridge.id, box)
    if (e.playback) this.own(e.playback.id, box)
    if (e.recording) this.own(e.recording.name, box)
    if (type === 'EndpointStateChange' || type === 'ContactStatusChange') return this.endpointEvent(box, type, event as AriEventMap['EndpointStateChange'])
    if (type === 'DeviceStateChanged') return this.deviceEvent(box, event as AriEventMap['DeviceStateChanged'])
    // A departed channel or bridge is forgotten after its handlers ran (ids are not reused).
    this.emit(type, event)
    if (type === 'ChannelDestroyed' && e.channel) {
      this.owner.delete(e.channel.id)
      this.via.delete(e.channel.id)
    }
    if (type === 'BridgeDestroyed' && e.bridge) this.owner.delete(e.bridge.id)
  }

  private own(id: string, box: BoxState): void {
    if (id) this.owner.set(id, box)
  }

  /** A phone is online if any box has it online; the merged state goes out only when it changes. */
  private endpointEvent(box: BoxState, type: 'EndpointStateChange' | 'ContactStatusChange', event: AriEventMap['EndpointStateChange']): void {
    const key = `${event.endpoint.technology}/${event.endpoint.resource}`
    const before = this.mergedEndpoint(key)
    box.endpoints.set(key, event.endpoint)
    const after = this.mergedEndpoint(key)
    if (type === 'ContactStatusChange') {
      // A contact's news matters from the box it is registered on (or the one it just left).
      if (event.endpoint.state === 'online' || before?.state !== after?.state || box === this.registeredOn(key)) this.emit(type, event)
      return
    }
    if (before?.state !== after?.state) this.emit(type, {...event, endpoint: after})
  }

  private deviceEvent(box: BoxState, event: AriEventMap['DeviceStateChanged']): void {
    const name = event.device_state.name
    const before = this.mergedDevice(name)
    box.devices.set(name, event.device_state.state)
    const after = this.mergedDevice(name)
    if (before !== after) this.emit('DeviceStateChanged', {...event, device_state: {name, state: after}})
  }

  private registeredOn(endpoint: string): BoxState | null {
    return this.boxes.find((b) => b.up && b.endpoints.get(endpoint)?.state === 'online') ?? null
  }

  private mergedEndpoint(key: string): Endpoint | undefined {
    const online = this.registeredOn(key)
    if (online) return online.endpoints.get(key)
    for (const b of this.boxes) if (b.endpoints.has(key)) return {...b.endpoints.get(key)!, state: 'offline'}
    return undefined
  }

  private mergedDevice(name: string): string {
    const box = this.registeredOn(name)
    if (box) return box.devices.get(name) ?? 'UNKNOWN'
    // Registered nowhere: what a box that knows it says (UNAVAILABLE), else unknown.
    for (const b of this.boxes) if (b.devices.has(name)) return b.devices.get(name)!
    return 'UNKNOWN'
  }

  /**
   * The engine sees one link: up while any box serves. A box going away says nothing to it
   * (onBoxLost does, after BOX_LOST_MS); a box coming back is a reconnect to it (phones
   * pushed again, presence read, calls checked), after the box's own restart was told
   * apart: a box that restarted lost its calls, which end as lost, not hung up.
   */
  private connection(box: BoxState, s: ConnectionState): void {
    const wasUp = box.up
    const anyBefore = this.boxes.some((b) => b.up)
    box.up = s.state === 'connected'
    if (box.up && !wasUp) {
      clearTimeout(box.lostTimer)
      box.lostTimer = undefined
      const wentDown = box.downSince
      box.downSince = null
      void this.backUp(box, wentDown)
      return
    }
    if (!box.up && wasUp) {
      box.downSince = Date.now()
      clearTimeout(box.lostTimer)
      box.lostTimer = setTimeout(() => this.lost(box), BOX_LOST_MS)
      box.lostTimer.unref?.()
      // The last box gone: Asterisk is away. Said as unreachable whatever the box's own
      // first state (a dropped socket says "connecting" first, which a link takes for no outage).
      if (anyBefore && !this.boxes.some((b) => b.up)) {
        const all: ConnectionState = s.state === 'connecting' ? {state: 'unreachable', attempt: s.attempt, retryInMs: 0, error: 'no box answers'} : s
        for (const h of this.connectionHandlers) h(all)
      }
      return
    }
    // Every box still away: their further attempts count in the link's outage.
    if (!box.up && s.state === 'unreachable' && !this.boxes.some((b) => b.up)) for (const h of this.connectionHandlers) h(s)
  }

  private async backUp(box: BoxState, wentDown: number | null = null): Promise<void> {
    const known = this.startup.get(box)
    const info = await box.port.asteriskInfo().catch(() => null)
    const now = info?.status?.startup_time ?? null
    // Restarted while away: its calls went when it did; told once, unless already told when it was declared lost.
    if (known && now && now !== known && !box.lostReported) this.lost(box, {restarted: true, since: wentDown})
    if (box.up) box.lostReported = false
    if (now) this.startup.set(box, now)
    if (box.up) for (const h of this.connectionHandlers) h({state: 'connected'})
  }

  private lost(box: BoxState, o: {restarted?: boolean; since?: number | null} = {}): void {
    if (box.up && !o.restarted) return
    const since = o.since ?? box.downSince
    const awayMs = since === null ? 0 : Math.max(0, Date.now() - since)
    if (!box.up) box.lostReported = true
    clearTimeout(box.lostTimer)
    box.lostTimer = undefined
    const channels = [...this.owner].filter(([, b]) => b === box).map(([id]) => id)
    for (const id of channels) this.owner.delete(id)
    for (const [call, b] of this.callBox) if (b === box) this.callBox.delete(call)
    // Its phones are registered nowhere now, until they come back through the proxy elsewhere.
    const phones = [...box.endpoints.keys()]
    box.endpoints.clear()
    box.devices.clear()
    for (const key of phones) {
      const merged = this.mergedEndpoint(key)
      if (merged?.state !== 'online') {
        const [technology, resource] = key.split('/') as [string, string]
        this.emit('EndpointStateChange', {type: 'EndpointStateChange', application: this.app, timestamp: new Date().toISOString(), endpoint: {technology, resource, state: 'offline', channel_ids: []}})
      }
    }
    // Legs on the other boxes that reached a phone through the lost box: the phone is gone
    // (it re-registers elsewhere), but with no one left to say BYE they would linger as
    // calls with nobody on the far end. The engine is told first (its callers on the
    // surviving boxes go back in line), then they are hung up.
    const stranded = [...this.via].filter(([, target]) => target === box).map(([id]) => id)
    for (const fn of this.lostHandlers) fn(box.name, channels, stranded, awayMs)
    for (const id of stranded) {
      this.via.delete(id)
      const owner = this.owner.get(id)
      if (owner && owner.up) void owner.port.hangup(id).catch(() => undefined)
    }
    for (const other of this.boxes) if (other !== box && other.up) void this.dropRelays(other, box).catch(() => undefined)
  }

  /**
   * The other way round: rings the lost box sent to a phone on `on` (its callers' calls,
   * answered by agents here) are relayed by `on` outside the app, and with nobody left to
   * say BYE the phone stayed busy on them (device state in use: its agent not offered a
   * call) until the phone or a timer gave up. Hung up here, found by the address they came
   * from. Not an RTP timeout on the trunk: a held call's agent leg hears no RTP either.
   */
  private async dropRelays(on: BoxState, lost: BoxState): Promise<void> {
    if (!lost.sip) return
    const from = `${lost.sip.host}:${lost.sip.port}`
    for (const ch of await on.port.listChannels()) {
      if (!ch.name.startsWith('PJSIP/interbox-') || this.owner.has(ch.id)) continue
      const addr = await on.port.getChannelVar(ch.id, 'CHANNEL(pjsip,remote_addr)').catch(() => '')
      if (addr === from) await on.port.hangup(ch.id).catch(() => undefined)
    }
  }

  // ---- routing -----------------------------------------------------------------

  private route(id: string): BoxState | null {
    const owned = this.owner.get(id)
    if (owned) return owned
    const call = CALL_ID.exec(id)?.[0] ?? this.aliases.get(id.slice(0, id.indexOf('.')))
    return call ? (this.callBox.get(call) ?? null) : null
  }

  /** The box for a request about `id`: its owner, its call's box, else the first box up. */
  private boxFor(id: string): BoxState {
    return this.route(id) ?? this.pick()
  }

  /** A box for something new that belongs to no call yet: round robin over the boxes up. */
  private pick(): BoxState {
    const up = this.boxes.filter((b) => b.up)
    const list = up.length > 0 ? up : this.boxes
    return list[this.next++ % list.length]!
  }

  private portFor(id: string): AriPort {
    return this.boxFor(id).port
  }

  private async onAll<T>(fn: (p: AriPort) => Promise<T>): Promise<T[]> {
    const up = this.boxes.filter((b) => b.up)
    const results = await Promise.allSettled((up.length > 0 ? up : this.boxes).map((b) => fn(b.port)))
    const ok = results.filter((r): r is PromiseFulfilledResult<Awaited<T>> => r.status === 'fulfilled').map((r) => r.value)
    if (ok.length === 0) throw (results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason
    return ok
  }

  // ---- the REST operations -------------------------------------------------------

  async asteriskInfo(): Promise<AsteriskInfo> {
    const infos = await Promise.all(this.boxes.filter((b) => b.up).map(async (b) => [b, await b.port.asteriskInfo().catch(() => null)] as const))
    for (const [b, info] of infos) if (info?.status?.startup_time && !this.startup.has(b)) this.startup.set(b, info.status.startup_time)
    const first = infos.find(([, i]) => i !== null)?.[1]
    if (!first) return this.pick().port.asteriskInfo()
    return {...first, status: {last_reload_time: first.status?.last_reload_time ?? this.startedAt, startup_time: this.startedAt}}
  }
  async setGlobalVar(name: string, value: string): Promise<void> {
    await this.onAll((p) => p.setGlobalVar(name, value))
  }
  getGlobalVar(name: string): Promise<string> {
    return this.pick().port.getGlobalVar(name)
  }
  async listChannels(): Promise<Channel[]> {
    const lists = await Promise.all(this.boxes.filter((b) => b.up).map(async (b) => ((await b.port.listChannels()) as Channel[]).map((c) => (this.own(c.id, b), c))))
    return lists.flat()
  }
  getChannel(id: string): Promise<Channel> {
    return this.portFor(id).getChannel(id)
  }

  async originate(p: OriginateParams): Promise<Channel> {
    const id = p.channelId ?? ''
    const call = CALL_ID.exec(id)?.[0] ?? null
    let box = this.route(id)
    if (!box) {
      box = this.pick()
      if (call) this.callBox.set(call, box)
    }
    const endpoint = this.dialFrom(box, p.endpoint)
    const ch = await box.port.originate({...p, endpoint})
    this.own(ch.id, box)
    if (endpoint !== p.endpoint) this.via.set(ch.id, this.registeredOn(p.endpoint)!)
    return ch
  }

  /** PJSIP/1001 on another box is rung over the trunk between boxes; anything else as given. */
  private dialFrom(box: BoxState, endpoint: string): string {
    const m = /^PJSIP\/([^/@]+)$/.exec(endpoint)
    if (!m) return endpoint
    const home = this.registeredOn(endpoint)
    if (!home || home === box || !home.sip) return endpoint
    return `PJSIP/interbox/sip:${m[1]}@${home.sip.host}:${home.sip.port}`
  }

  answer(id: string) {
    return this.portFor(id).answer(id)
  }
  hangup(id: string, reason?: string) {
    return this.portFor(id).hangup(id, reason)
  }
  ring(id: string) {
    return this.portFor(id).ring(id)
  }
  startMoh(id: string, mohClass?: string) {
    return this.portFor(id).startMoh(id, mohClass)
  }
  stopMoh(id: string) {
    return this.portFor(id).stopMoh(id)
  }
  hold(id: string) {
    return this.portFor(id).hold(id)
  }
  unhold(id: string) {
    return this.portFor(id).unhold(id)
  }
  setChannelVar(id: string, name: string, value: string) {
    return this.portFor(id).setChannelVar(id, name, value)
  }
  getChannelVar(id: string, name: string) {
    return this.portFor(id).getChannelVar(id, name)
  }
  sendDtmf(id: string, dtmf: string) {
    return this.portFor(id).sendDtmf(id, dtmf)
  }
  continueInDialplan(id: string, context?: string, extension?: string, priority?: number) {
    return this.portFor(id).continueInDialplan(id, context, extension, priority)
  }
  async playOnChannel(id: string, media: string | string[], playbackId?: string, lang?: string): Promise<Playback> {
    const box = this.boxFor(id)
    if (playbackId) this.own(playbackId, box)
    return box.port.playOnChannel(id, media, playbackId, lang)
  }
  async recordChannel(id: string, p: RecordParams): Promise<LiveRecording> {
    const box = this.boxFor(id)
    this.own(p.name, box)
    return box.port.recordChannel(id, p)
  }
  async snoop(id: string, p: SnoopParams): Promise<Channel> {
    const box = this.boxFor(id)
    const ch = await box.port.snoop(id, p)
    this.own(ch.id, box)
    return ch
  }
  async listBridges(): Promise<Bridge[]> {
    const lists = await Promise.all(this.boxes.filter((b) => b.up).map(async (b) => ((await b.port.listBridges()) as Bridge[]).map((x) => (this.own(x.id, b), x))))
    return lists.flat()
  }
  async createBridge(type: string, bridgeId?: string, name?: string): Promise<Bridge> {
    const box = bridgeId ? this.boxFor(bridgeId) : this.pick()
    const bridge = await box.port.createBridge(type, bridgeId, name)
    this.own(bridge.id, box)
    return bridge
  }
  destroyBridge(id: string) {
    return this.portFor(id).destroyBridge(id)
  }
  addToBridge(id: string, channelIds: string[], role?: string) {
    return this.portFor(id).addToBridge(id, channelIds, role)
  }
  removeFromBridge(id: string, channelIds: string[]) {
    return this.portFor(id).removeFromBridge(id, channelIds)
  }
  async playOnBridge(id: string, media: string | string[], playbackId?: string): Promise<Playback> {
    const box = this.boxFor(id)
    if (playbackId) this.own(playbackId, box)
    return box.port.playOnBridge(id, media, playbackId)
  }
  async recordBridge(id: string, p: RecordParams): Promise<LiveRecording> {
    const box = this.boxFor(id)
    this.own(p.name, box)
    return box.port.recordBridge(id, p)
  }
  startBridgeMoh(id: string, mohClass?: string) {
    return this.portFor(id).startBridgeMoh(id, mohClass)
  }
  stopBridgeMoh(id: string) {
    return this.portFor(id).stopBridgeMoh(id)
  }
  stopPlayback(id: string) {
    return this.portFor(id).stopPlayback(id)
  }
  stopRecording(name: string) {
    return this.portFor(name).stopRecording(name)
  }
  /** A stored recording is on the box that made it; asked everywhere when that is not known. */
  async deleteStoredRecording(name: string): Promise<void> {
    const box = this.route(name)
    if (box) return box.port.deleteStoredRecording(name)
    await this.firstThat((p) => p.deleteStoredRecording(name))
  }
  async downloadStoredRecording(name: string): Promise<Buffer> {
    const box = this.route(name)
    if (box) return box.port.downloadStoredRecording(name)
    return this.firstThat((p) => p.downloadStoredRecording(name))
  }
  async applicationInfo(app: string): Promise<{name: string; channel_ids: string[]; bridge_ids: string[]}> {
    const all = await this.onAll((p) => p.applicationInfo(app))
    return {name: app, channel_ids: all.flatMap((a) => a.channel_ids), bridge_ids: all.flatMap((a) => a.bridge_ids)}
  }
  /**
   * Asterisk refuses a whole subscription (422, none of it subscribed) naming one endpoint
   * it does not have. A box lacking one (a phone pushed while it was away) takes the
   * sources one by one, so the rest still reach it; a source no box has is refused as
   * one box would (phone-presence.ts then finds its phone).
   */
  async subscribe(app: string, sources: string[]): Promise<void> {
    const refused = await this.onAll((p) => subscribeEach(p, app, sources))
    const nowhere = sources.filter((s) => refused.every((r) => r.has(s)))
    if (nowhere.length > 0) throw new AriRequestError(422, `POST /applications/${app}/subscription`, `Event source does not exist (${nowhere.join(', ')})`)
  }
  async unsubscribe(app: string, sources: string[]): Promise<void> {
    await this.onAll((p) => p.unsubscribe(app, sources))
  }
  /** Online on the box it is registered on, else as a box that knows it says. */
  async getEndpoint(technology: string, resource: string): Promise<Endpoint> {
    // Each box's answer is kept as its state: a phone registered before the engine started
    // is then rung over the trunk at once, not only after its next state change.
    const up = this.boxes.filter((b) => b.up)
    const answers = await Promise.allSettled(up.map(async (b) => [b, await b.port.getEndpoint(technology, resource)] as const))
    const ok = answers.filter((a): a is PromiseFulfilledResult<readonly [BoxState, Endpoint]> => a.status === 'fulfilled').map((a) => a.value)
    if (ok.length === 0) throw (answers.find((a) => a.status === 'rejected') as PromiseRejectedResult | undefined)?.reason ?? new AriRequestError(404, 'endpoint', 'no box up')
    for (const [b, e] of ok) b.endpoints.set(`${technology}/${resource}`, e)
    return ok.find(([, e]) => e.state === 'online')?.[1] ?? ok[0]![1]
  }
  async getDeviceState(name: string): Promise<string> {
    const home = this.registeredOn(name)
    if (home) return home.port.getDeviceState(name)
    const all = await this.onAll((p) => p.getDeviceState(name))
    return all.find((s) => s !== 'UNAVAILABLE' && s !== 'UNKNOWN') ?? all[0]!
  }
  /** Configuration (phones) goes to every box: a phone registers wherever the proxy sends it. */
  async putConfigObject(configClass: string, objectType: string, id: string, fields: ConfigTuple[]): Promise<ConfigTuple[]> {
    return (await this.onAll((p) => p.putConfigObject(configClass, objectType, id, fields)))[0]!
  }
  getConfigObject(configClass: string, objectType: string, id: string): Promise<ConfigTuple[]> {
    return this.pick().port.getConfigObject(configClass, objectType, id)
  }
  async deleteConfigObject(configClass: string, objectType: string, id: string): Promise<void> {
    await this.onAll((p) => p.deleteConfigObject(configClass, objectType, id))
  }

  private async firstThat<T>(fn: (p: AriPort) => Promise<T>): Promise<T> {
    let last: unknown = new AriRequestError(404, 'recording', 'not found on any box')
    for (const b of this.boxes.filter((x) => x.up)) {
      try {
        return await fn(b.port)
      } catch (err) {
        last = err
      }
    }
    throw last
  }

  async close(): Promise<void> {
    for (const b of this.boxes) clearTimeout(b.lostTimer)
    await Promise.all(this.boxes.map((b) => b.port.close()))
  }
}

/** Subscribes the sources on one box; returns those it does not have (refused alone with 422). */
async function subscribeEach(port: AriPort, app: string, sources: string[]): Promise<Set<string>> {
  const refused = new Set<string>()
  const unknown = (err: unknown) => err instanceof AriRequestError && err.status === 422
  try {
    await port.subscribe(app, sources)
  } catch (err) {
    if (!unknown(err)) throw err
    if (sources.length === 1) refused.add(sources[0]!)
    else for (const s of sources) await port.subscribe(app, [s]).catch((e: unknown) => (unknown(e) ? refused.add(s) : Promise.reject(e)))
  }
  return refused
}
