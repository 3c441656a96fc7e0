import type {AriEventMap, AriEventType, AriPort, Bridge, Channel, ConfigTuple, ConnectionState, Endpoint, OriginateParams} from '../../src/engine/ari/port.js'
import {AriRequestError} from '../../src/engine/ari/port.js'

export interface RecordedRequest {
  op: string
  args: unknown[]
}

/**
 * A stand-in for Asterisk in unit tests of the call logic: records every request and
 * lets the test play the events Asterisk would send. Behaviour that depends on real
 * Asterisk is proven against the sandbox instead.
 */
export class FakeAri implements AriPort {
  readonly app = 'fake'
  readonly requests: RecordedRequest[] = []
  readonly channels = new Map<string, Channel>()
  readonly bridges = new Map<string, Bridge>()
  private readonly handlers = new Map<string, ((e: unknown) => void)[]>()
  /** Endpoints whose originate fails like an unreachable phone. */
  readonly failingEndpoints = new Set<string>()

  on<K extends AriEventType>(type: K, handler: (event: AriEventMap[K]) => void): void {
    const list = this.handlers.get(type) ?? []
    list.push(handler as (e: unknown) => void)
    this.handlers.set(type, list)
  }
  onConnection(_h: (s: ConnectionState) => void): void {}
  async close(): Promise<void> {}

  emit<K extends AriEventType>(type: K, event: Omit<AriEventMap[K], 'type' | 'application' | 'timestamp'>): void {
    for (const h of this.handlers.get(type) ?? []) h({type, application: this.app, timestamp: new Date().toISOString(), ...event})
  }

  /** A caller dials in: the channel enters the app like the inbound dialplan sends it. */
  /** `channelName`: Asterisk's name for it ("Local/…" for the simulator's callers). */
  callerArrives(id: string, number: string, did: string, name = '', channelName?: string): Channel {
    const ch = this.channel(id, number, name)
    if (channelName) ch.name = channelName
    this.emit('StasisStart', {args: ['inbound', did], channel: ch})
    return ch
  }
  agentAnswers(channelId: string, callId: string): void {
    this.emit('StasisStart', {args: ['agent', callId], channel: this.channels.get(channelId) ?? this.channel(channelId, '', '')})
  }
  hangsUp(channelId: string): void {
    const ch = this.channels.get(channelId) ?? this.channel(channelId, '', '')
    this.channels.delete(channelId)
    this.emit('StasisEnd', {channel: ch})
  }
  ringFails(channelId: string, cause = 17): void {
    const ch = this.channels.get(channelId) ?? this.channel(channelId, '', '')
    this.channels.delete(channelId)
    this.emit('ChannelDestroyed', {channel: ch, cause, cause_txt: 'User busy'})
  }

  ops(op: string): unknown[][] {
    return this.requests.filter((r) => r.op === op).map((r) => r.args)
  }
  originated(): OriginateParams[] {
    return this.ops('originate').map((a) => a[0] as OriginateParams)
  }

  private channel(id: string, number: string, name: string): Channel {
    const ch: Channel = {id, name: `Fake/${id}`, state: 'Up', caller: {number, name}, connected: {number: '', name: ''}, creationtime: new Date().toISOString()}
    this.channels.set(id, ch)
    return ch
  }
  private rec(op: string, ...args: unknown[]): void {
    this.requests.push({op, args})
  }
  private mustChannel(id: string): void {
    if (!this.channels.has(id)) throw new AriRequestError(404, op404, 'Channel not found')
  }

  async asteriskInfo() {
    return {system: {version: 'fake', entity_id: 'x'}}
  }
  async setGlobalVar(n: string, v: string) {
    this.rec('setGlobalVar', n, v)
  }
  async getGlobalVar(_n: string) {
    return ''
  }
  async listChannels() {
    return [...this.channels.values()]
  }
  async getChannel(id: string) {
    this.mustChannel(id)
    return this.channels.get(id)!
  }
  async originate(p: OriginateParams) {
    this.rec('originate', p)
    if (this.failingEndpoints.has(p.endpoint)) throw new AriRequestError(500, 'POST /channels', 'Allocation failed')
    return this.channel(p.channelId ?? `orig-${this.requests.length}`, '', '')
  }
  async answer(id: string) {
    this.rec('answer', id)
    this.mustChannel(id)
  }
  async hangup(id: string, reason?: string) {
    if (reason === undefined) this.rec('hangup', id)
    else this.rec('hangup', id, reason)
    this.mustChannel(id)
  }
  async ring(id: string) {
    this.rec('ring', id)
  }
  async startMoh(id: string, c?: string) {
    this.rec('startMoh', id, c)
    this.mustChannel(id)
  }
  async stopMoh(id: string) {
    this.rec('stopMoh', id)
    this.mustChannel(id)
  }
  async hold(id: string) {
    this.rec('hold', id)
  }
  async unhold(id: string) {
    this.rec('unhold', id)
  }
  async setChannelVar(id: string, n: string, v: string) {
    this.rec('setChannelVar', id, n, v)
    this.mustChannel(id)
  }
  async getChannelVar(_id: string, _n: string) {
    return ''
  }
  async sendDtmf(id: string, d: string) {
    this.rec('sendDtmf', id, d)
  }
  async continueInDialplan(id: string) {
    this.rec('continueInDialplan', id)
  }
  async playOnChannel(id: string, media: string | string[], playbackId?: string) {
    this.rec('playOnChannel', id, media, playbackId)
    return {id: playbackId ?? 'pb', media_uri: String(media), target_uri: `channel:${id}`, state: 'queued'}
  }
  async recordChannel(id: string, p: {name: string; format: string}) {
    this.rec('recordChannel', id, p)
    return {name: p.name, format: p.format, state: 'recording', target_uri: `channel:${id}`}
  }
  async snoop(id: string, p: unknown) {
    this.rec('snoop', id, p)
    return this.channel(`snoop-${id}`, '', '')
  }
  async listBridges() {
    return [...this.bridges.values()]
  }
  async createBridge(type: string, bridgeId?: string, name?: string) {
    this.rec('createBridge', type, bridgeId, name)
    const b: Bridge = {id: bridgeId ?? 'b', technology: 'simple_bridge', bridge_type: type, bridge_class: 'stasis', name: name ?? '', channels: []}
    this.bridges.set(b.id, b)
    return b
  }
  async destroyBridge(id: string) {
    this.rec('destroyBridge', id)
    if (!this.bridges.delete(id)) throw new AriRequestError(404, 'DELETE /bridges', 'Bridge not found')
  }
  async addToBridge(id: string, ch: string[]) {
    this.rec('addToBridge', id, ch)
    this.bridges.get(id)?.channels.push(...ch)
  }
  async removeFromBridge(id: string, ch: string[]) {
    this.rec('removeFromBridge', id, ch)
  }
  async playOnBridge(id: string, media: string | string[], playbackId?: string) {
    this.rec('playOnBridge', id, media, playbackId)
    return {id: playbackId ?? 'pb', media_uri: String(media), target_uri: `bridge:${id}`, state: 'queued'}
  }
  async recordBridge(id: string, p: {name: string; format: string}) {
    this.rec('recordBridge', id, p)
    return {name: p.name, format: p.format, state: 'recording', target_uri: `bridge:${id}`}
  }
  async startBridgeMoh(id: string) {
    this.rec('startBridgeMoh', id)
  }
  async stopBridgeMoh(id: string) {
    this.rec('stopBridgeMoh', id)
  }
  async stopPlayback(id: string) {
    this.rec('stopPlayback', id)
  }
  async stopRecording(n: string) {
    this.rec('stopRecording', n)
  }
  async deleteStoredRecording(n: string) {
    this.rec('deleteStoredRecording', n)
  }
  async downloadStoredRecording(_n: string) {
    return Buffer.alloc(0)
  }
  async applicationInfo(app: string) {
    return {name: app, channel_ids: [...this.channels.keys()], bridge_ids: [...this.bridges.keys()]}
  }
  /** Endpoint states a test sets (PJSIP/1001 → offline); unset ones read online. */
  readonly endpointStates = new Map<string, Endpoint['state']>()
  /** Device states a test sets (PJSIP/1001 → INUSE); unset ones read NOT_INUSE. */
  readonly deviceStates = new Map<string, string>()
  readonly configObjects = new Map<string, ConfigTuple[]>()
  /** Endpoints Asterisk does not have (PJSIP/1001): a subscription naming one is refused whole, as Asterisk does (422). */
  readonly unknownEndpoints = new Set<string>()
  async subscribe(app: string, sources: string[]): Promise<void> {
    this.requests.push({op: 'subscribe', args: [app, sources]})
    if (sources.some((s) => s.startsWith('endpoint:') && this.unknownEndpoints.has(s.slice('endpoint:'.length)))) {
      throw new AriRequestError(422, `POST /applications/${app}/subscription`, 'Event source does not exist')
    }
  }
  async unsubscribe(app: string, sources: string[]): Promise<void> {
    this.requests.push({op: 'unsubscribe', args: [app, sources]})
  }
  async getEndpoint(technology: string, resource: string): Promise<Endpoint> {
    if (this.unknownEndpoints.has(`${technology}/${resource}`)) throw new AriRequestError(404, 'GET /endpoints', 'Endpoint not found')
    return {technology, resource, state: this.endpointStates.get(`${technology}/${resource}`) ?? 'online', channel_ids: []}
  }
  async getDeviceState(name: string): Promise<string> {
    return this.deviceStates.get(name) ?? 'NOT_INUSE'
  }
  async putConfigObject(configClass: string, objectType: string, id: string, fields: ConfigTuple[]): Promise<ConfigTuple[]> {
    this.configObjects.set(`${configClass}/${objectType}/${id}`, fields)
    return fields
  }
  async getConfigObject(configClass: string, objectType: string, id: string): Promise<ConfigTuple[]> {
    const o = this.configObjects.get(`${configClass}/${objectType}/${id}`)
    if (!o) throw new AriRequestError(404, 'getConfigObject', 'not found')
    return o
  }
  async deleteConfigObject(configClass: string, objectType: string, id: string): Promise<void> {
    this.configObjects.delete(`${configClass}/${objectType}/${id}`)
  }
}

const op404 = 'fake'

/** Lets queued microtasks and resolved REST promises run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r))
}

/** A caller arrives on `did`, the engine rings its first agent, the agent answers: the call id. */
export async function connectFirstCaller(ari: FakeAri, channel: string, number: string, did: string): Promise<string> {
  ari.callerArrives(channel, number, did)
  await settle()
  const ring = ari.originated()[0]!
  const callId = ring.appArgs!.split(',')[1]!
  ari.agentAnswers(ring.channelId!, callId)
  await settle()
  return callId
}
