import {UserError} from '../util/errors.js'
import type {AriPressureView} from './pressure.js'

// The engine's view of Asterisk's REST Interface. Only this folder knows ari-client
// exists; the engine, the simulator and the tests see these plain types.

export interface CallerId {
  name: string
  number: string
}

export interface Channel {
  id: string
  name: string
  state: string
  caller: CallerId
  connected: CallerId
  dialplan?: {context: string; exten: string; priority: number; app_name?: string; app_data?: string}
  creationtime: string
  language?: string
  channelvars?: Record<string, string>
}

export interface Bridge {
  id: string
  technology: string
  bridge_type: string
  bridge_class: string
  name: string
  channels: string[]
  creationtime?: string
}

export interface Playback {
  id: string
  media_uri: string
  target_uri: string
  state: string
}

export interface LiveRecording {
  name: string
  format: string
  state: string
  target_uri: string
  duration?: number
  cause?: string
}

export interface AsteriskInfo {
  system?: {version: string; entity_id: string}
  status?: {startup_time: string; last_reload_time: string}
  config?: Record<string, unknown>
}

interface EventBase {
  type: string
  application: string
  timestamp: string
  asterisk_id?: string
}

export interface StasisStartEvent extends EventBase {
  type: 'StasisStart'
  args: string[]
  channel: Channel
  replace_channel?: Channel
}
export interface StasisEndEvent extends EventBase {
  type: 'StasisEnd'
  channel: Channel
}
export interface ChannelDestroyedEvent extends EventBase {
  type: 'ChannelDestroyed'
  channel: Channel
  cause: number
  cause_txt: string
}
export interface ChannelHangupRequestEvent extends EventBase {
  type: 'ChannelHangupRequest'
  channel: Channel
  cause?: number
  soft?: boolean
}
export interface ChannelStateChangeEvent extends EventBase {
  type: 'ChannelStateChange'
  channel: Channel
}
export interface ChannelDtmfReceivedEvent extends EventBase {
  type: 'ChannelDtmfReceived'
  channel: Channel
  digit: string
  duration_ms: number
}
export interface PlaybackEvent extends EventBase {
  type: 'PlaybackStarted' | 'PlaybackFinished'
  playback: Playback
}
export interface RecordingEvent extends EventBase {
  type: 'RecordingStarted' | 'RecordingFinished' | 'RecordingFailed'
  recording: LiveRecording
}
export interface BridgeDestroyedEvent extends EventBase {
  type: 'BridgeDestroyed'
  bridge: Bridge
}
export interface ChannelBridgeEvent extends EventBase {
  type: 'ChannelEnteredBridge' | 'ChannelLeftBridge'
  bridge: Bridge
  channel: Channel
}

/** An endpoint (a phone, the carrier) as ARI reports it: online once registered and reachable. */
export interface Endpoint {
  technology: string
  resource: string
  state?: 'unknown' | 'offline' | 'online'
  channel_ids: string[]
}
export interface EndpointStateChangeEvent extends EventBase {
  type: 'EndpointStateChange'
  endpoint: Endpoint
}
/** A phone's registration (contact) appeared, answered a qualify, stopped answering, or left. */
export interface ContactStatusChangeEvent extends EventBase {
  type: 'ContactStatusChange'
  endpoint: Endpoint
  contact_info: {uri: string; contact_status: 'Unreachable' | 'Reachable' | 'Unknown' | 'NonQualified' | 'Removed' | 'Created' | 'Updated'; aor: string; roundtrip_usec?: string}
}
/** A device's state (PJSIP/1001: NOT_INUSE, INUSE, RINGING, UNAVAILABLE, ...), the state app_queue reads for its members. */
export interface DeviceStateChangedEvent extends EventBase {
  type: 'DeviceStateChanged'
  device_state: {name: string; state: string}
}

/** Another WebSocket registered this app: Asterisk sends its events there from now on. */
export interface ApplicationReplacedEvent extends EventBase {
  type: 'ApplicationReplaced'
}

/** One attribute of a sorcery object (ARI push configuration). */
export interface ConfigTuple {
  attribute: string
  value: string
}

export interface AriEventMap {
  StasisStart: StasisStartEvent
  StasisEnd: StasisEndEvent
  ChannelDestroyed: ChannelDestroyedEvent
  ChannelHangupRequest: ChannelHangupRequestEvent
  ChannelStateChange: ChannelStateChangeEvent
  ChannelDtmfReceived: ChannelDtmfReceivedEvent
  PlaybackStarted: PlaybackEvent
  PlaybackFinished: PlaybackEvent
  RecordingStarted: RecordingEvent
  RecordingFinished: RecordingEvent
  RecordingFailed: RecordingEvent
  BridgeDestroyed: BridgeDestroyedEvent
  ChannelEnteredBridge: ChannelBridgeEvent
  ChannelLeftBridge: ChannelBridgeEvent
  EndpointStateChange: EndpointStateChangeEvent
  ContactStatusChange: ContactStatusChangeEvent
  DeviceStateChanged: DeviceStateChangedEvent
  ApplicationReplaced: ApplicationReplacedEvent
}
export type AriEventType = keyof AriEventMap
export const ARI_EVENT_TYPES: readonly AriEventType[] = [
  'StasisStart',
  'StasisEnd',
  'ChannelDestroyed',
  'ChannelHangupRequest',
  'ChannelStateChange',
  'ChannelDtmfReceived',
  'PlaybackStarted',
  'PlaybackFinished',
  'RecordingStarted',
  'RecordingFinished',
  'RecordingFailed',
  'BridgeDestroyed',
  'ChannelEnteredBridge',
  'ChannelLeftBridge',
  'EndpointStateChange',
  'ContactStatusChange',
  'DeviceStateChanged',
  'ApplicationReplaced',
]

export interface OriginateParams {
  endpoint: string
  /** Enter this Stasis app with appArgs once answered ... */
  app?: string
  appArgs?: string
  /** ... or run this dialplan location. */
  context?: string
  extension?: string
  priority?: number
  callerId?: string
  /** Seconds to ring before giving up. */
  timeout?: number
  channelId?: string
  otherChannelId?: string
  /** Audio formats the new channel may use, e.g. "slin" or "ulaw,alaw" (Local channels default to slin in AriHttp). */
  formats?: string
  variables?: Record<string, string>
}

export interface SnoopParams {
  spy?: 'none' | 'both' | 'in' | 'out'
  whisper?: 'none' | 'both' | 'in' | 'out'
  app: string
  appArgs?: string
  snoopId?: string
}

export interface RecordParams {
  name: string
  format: string
  maxDurationSeconds?: number
  ifExists?: 'fail' | 'overwrite' | 'append'
  beep?: boolean
  terminateOn?: string
}

export type ConnectionState =
  | {state: 'connecting'; attempt: number}
  | {state: 'connected'}
  | {state: 'unreachable'; attempt: number; retryInMs: number; error: string}
  | {state: 'failed'; error: string}
  | {state: 'closed'}

/** The REST operations the engine uses. Every call rejects with AriRequestError on a non-2xx answer. */
export interface AriRest {
  asteriskInfo(): Promise<AsteriskInfo>
  setGlobalVar(name: string, value: string): Promise<void>
  getGlobalVar(name: string): Promise<string>

  listChannels(): Promise<Channel[]>
  getChannel(id: string): Promise<Channel>
  originate(p: OriginateParams): Promise<Channel>
  answer(channelId: string): Promise<void>
  hangup(channelId: string, reason?: string): Promise<void>
  ring(channelId: string): Promise<void>
  startMoh(channelId: string, mohClass?: string): Promise<void>
  stopMoh(channelId: string): Promise<void>
  hold(channelId: string): Promise<void>
  unhold(channelId: string): Promise<void>
  setChannelVar(channelId: string, name: string, value: string): Promise<void>
  getChannelVar(channelId: string, name: string): Promise<string>
  sendDtmf(channelId: string, dtmf: string): Promise<void>
  continueInDialplan(channelId: string, context?: string, extension?: string, priority?: number): Promise<void>
  playOnChannel(channelId: string, media: string | string[], playbackId?: string, lang?: string): Promise<Playback>
  recordChannel(channelId: string, p: RecordParams): Promise<LiveRecording>
  snoop(channelId: string, p: SnoopParams): Promise<Channel>

  listBridges(): Promise<Bridge[]>
  createBridge(type: string, bridgeId?: string, name?: string): Promise<Bridge>
  destroyBridge(bridgeId: string): Promise<void>
  addToBridge(bridgeId: string, channelIds: string[], role?: string): Promise<void>
  removeFromBridge(bridgeId: string, channelIds: string[]): Promise<void>
  playOnBridge(bridgeId: string, media: string | string[], playbackId?: string): Promise<Playback>
  recordBridge(bridgeId: string, p: RecordParams): Promise<LiveRecording>
  startBridgeMoh(bridgeId: string, mohClass?: string): Promise<void>
  stopBridgeMoh(bridgeId: string): Promise<void>

  stopPlayback(playbackId: string): Promise<void>
  stopRecording(name: string): Promise<void>
  deleteStoredRecording(name: string): Promise<void>
  /** Bytes of a finished recording (fetched over HTTP; ari-client 2.2.0 cannot). */
  downloadStoredRecording(name: string): Promise<Buffer>
  applicationInfo(app: string): Promise<{name: string; channel_ids: string[]; bridge_ids: string[]}>
  /** Adds event sources (endpoint:PJSIP/1001, deviceState:PJSIP/1001) to an app: ARI sends endpoint and device events only for what the app subscribed to. */
  subscribe(app: string, sources: string[]): Promise<void>
  unsubscribe(app: string, sources: string[]): Promise<void>
  getEndpoint(technology: string, resource: string): Promise<Endpoint>
  /** A device's state as app_queue sees it (PJSIP/1001 → NOT_INUSE, INUSE, RINGING, UNAVAILABLE, ...). */
  getDeviceState(name: string): Promise<string>
  /** ARI push configuration: create or replace a sorcery object (res_pjsip endpoint, auth, aor, identify). */
  putConfigObject(configClass: string, objectType: string, id: string, fields: ConfigTuple[]): Promise<ConfigTuple[]>
  getConfigObject(configClass: string, objectType: string, id: string): Promise<ConfigTuple[]>
  deleteConfigObject(configClass: string, objectType: string, id: string): Promise<void>
  /** How hard Asterisk is pressed (answer times, failures, back-off); absent in fakes that do not model it. */
  readonly pressure?: AriPressureLike
}

/** The part of ari/pressure.ts's AriPressure the engine reads. */
export interface AriPressureLike {
  view(): AriPressureView
  onChange(fn: (v: AriPressureView) => void): () => void
  /** Several boxes: the pressure of the box that holds `id` (a channel, or a call's legs); absent with one Asterisk. */
  viewFor?(id: string): AriPressureView | null
}

/** A live connection to one Stasis app: REST plus its event stream. */
export interface AriPort extends AriRest {
  readonly app: string
  on<K extends AriEventType>(type: K, handler: (event: AriEventMap[K]) => void): void
  onConnection(handler: (s: ConnectionState) => void): void
  close(): Promise<void>
  /** Several boxes (boxes/box-router.ts): the legs of call `callId` go where `channelId` is. */
  bindCall?(callId: string, channelId: string): void
  /** Several boxes: ids starting `alias.` (a supervision's legs and bridge) go where the call's legs go; `null` forgets it. */
  aliasCall?(alias: string, callId: string | null): void
  /** Several boxes: one was away too long, and these channels went with it. */
  /** `channels` were on the lost box; `stranded` are legs on other boxes that reached a phone through it (hung up right after); `awayMs` since it was last seen answering. */
  onBoxLost?(fn: (box: string, channels: string[], stranded: string[], awayMs: number) => void): void
}

export interface AriCredentials {
  url: string
  user: string
  password: string
}

/** Asterisk answered with a non-2xx status. */
export class AriRequestError extends Error {
  constructor(
    readonly status: number,
    readonly operation: string,
    message: string,
  ) {
    super(`${operation}: ${status} ${message}`)
    this.name = 'AriRequestError'
  }
}

/** The request got no answer: Asterisk unreachable, the connection dropped, or it timed out. */
// Not a bug of ours but the world's: a UserError, so any command that meets it says so
// in one line (exit 3) instead of a stack trace and exit 70, and an API client gets its code.
export class AriTransportError extends UserError {
  constructor(
    readonly operation: string,
    readonly reason: string,
  ) {
    super(`${operation}: no answer from Asterisk (${reason})`, {
      suggestion: 'Check that Asterisk runs and answers on its ARI URL (callctl sandbox status; ari.url in the config).',
      exitCode: 3,
      code: 'asterisk_unreachable',
    })
    this.name = 'AriTransportError'
  }
}

/** Asterisk refused the user or password. Not worth retrying. */
export class AriAuthError extends Error {
  constructor(
    readonly url: string,
    readonly user: string,
  ) {
    super(`Asterisk at ${url} refused ARI user "${user}" (wrong user or password)`)
    this.name = 'AriAuthError'
  }
}

export function isNotFound(err: unknown): boolean {
  return err instanceof AriRequestError && err.status === 404
}
