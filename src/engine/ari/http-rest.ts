// Hand-written, not ari-client's REST layer or an HTTP client package: ari-client 2.2.0
// (swagger-client 2.0) turns every non-2xx answer into an Error with only the body text, so
// a 404 (the channel already hung up, routine in telephony) looks like a 500, and it
// registers basic auth globally (two engines in one process share credentials); fetch()
// cannot cap its connections without undici's Agent, and Asterisk allows 100 HTTP
// sessions in all. node:http with one keep-alive agent does all three in ~250 lines.
// ari-client still carries the event WebSocket (ari-client-port.ts).
import type {
  AriCredentials,
  AriRest,
  AsteriskInfo,
  Bridge,
  Channel,
  ConfigTuple,
  Endpoint,
  LiveRecording,
  OriginateParams,
  Playback,
  RecordParams,
  SnoopParams,
} from './port.js'
import {Agent as HttpAgent, request as httpRequest} from 'node:http'
import {Agent as HttpsAgent, request as httpsRequest} from 'node:https'
import {AriAuthError, AriRequestError, AriTransportError} from './port.js'
import {AriPressure} from './pressure.js'
import {restCounter} from './rest-count.js'
import {SocketRestFailure, type SocketRest} from './ws-rest.js'
import type {RestLanes} from './rest-lanes.js'

type Query = Record<string, string | number | boolean | undefined>

// Connections to Asterisk at once. Each is an HTTP session there, and its http.conf
// allows 100 (sessionlimit) for every client together: with a connection per request, a
// burst of arrivals (25 calls/s in bench:load) held 92 of them and further requests
// failed. Requests beyond these wait their turn in the agent, in order.
const MAX_CONNECTIONS = 24
/** How long a request may go unanswered, over HTTP or the event socket. */
export const REST_TIMEOUT_MS = 10_000
const TIMEOUT_MS = REST_TIMEOUT_MS
// An idle connection is closed after this long, before Asterisk closes it on its side
// (http.conf session_keep_alive, 15 s by default): a request sent as it does would fail.
const IDLE_MS = 5_000
const GET_ATTEMPTS = 3

interface Answer {
  status: number
  ok: boolean
  body: Buffer
  text(): string
}

/**
 * ARI's REST half over node:http with one keep-alive agent. ari-client 2.2.0's REST layer
 * (swagger-client 2.0 over shred) turns every non-2xx answer into an Error carrying only
 * the body text, so a 404 (channel already gone: routine in telephony) cannot be told
 * from a 500; it also registers basic auth globally, so two clients in one process share
 * credentials. fetch() cannot bound its connections without undici's own Agent.
 */
export class AriHttp implements AriRest {
  private readonly base: string
  private readonly auth: string
  private readonly agent: HttpAgent
  private readonly send: typeof httpRequest
  /** Answer times and failures: the engine backs off and sheds load from these. */
  readonly pressure = new AriPressure()

  /**
   * Set by the event-socket port (CALLCTL_ARI_REST=websocket): while its socket is open,
   * requests go over it; binary answers and everything while it is down go over HTTP.
   */
  protected socketRest: SocketRest | null = null
  /** Several sockets (rest-lanes.ts), when the port opened them; preferred over socketRest. */
  protected restLanes: RestLanes | null = null

  constructor(readonly creds: AriCredentials) {
    this.base = creds.url.replace(/\/+$/, '') + '/ari'
    this.auth = 'Basic ' + Buffer.from(`${creds.user}:${creds.password}`).toString('base64')
    const secure = this.base.startsWith('https:')
    const o = {keepAlive: true, maxSockets: MAX_CONNECTIONS, maxTotalSockets: MAX_CONNECTIONS, timeout: IDLE_MS}
    this.agent = secure ? new HttpsAgent(o) : new HttpAgent(o)
    this.send = secure ? httpsRequest : httpRequest
  }

  /**
   * Asked before every request: a reason to send nothing, or null. Engines sharing a store
   * (standby engines) set it to their leadership's: a leader frozen and woken after another
   * took over must not act on Asterisk, not even once.
   */
  gate: (() => string | null) | null = null

  async request<T>(method: string, path: string, query: Query = {}, body?: unknown, raw = false): Promise<T> {
    const refused = this.gate?.()
    if (refused) throw new AriTransportError(`${method} ${path}`, refused)
    // The event socket carries text only: a recording's bytes always come over HTTP.
    const lane = raw ? null : this.restLanes ? this.restLanes.pick(path, query) : this.socketRest?.open ? this.socketRest : null
    if (lane) {
      const answer = await this.overSocket(lane, method, path, query, body)
      if (answer) return answerOf<T>(answer.status, answer.body, method, path)
    }
    if (restCounter.enabled) restCounter.count('http', method, path)
    const qs = new URLSearchParams()
    for (const [k, v] of Object.entries(query)) if (v !== undefined) qs.set(k, String(v))
    const url = `${this.base}${path}${qs.size ? '?' + qs.toString() : ''}`
    const payload = body === undefined ? undefined : JSON.stringify(body)
    const headers: Record<string, string> = {authorization: this.auth}
    // An explicit length, empty bodies too: not chunked encoding, which Asterisk's HTTP server need not take.
    if (payload !== undefined) headers['content-type'] = 'application/json'
    if (method !== 'GET') headers['content-length'] = String(payload === undefined ? 0 : Buffer.byteLength(payload))
    let res: Answer
    for (let attempt = 1; ; attempt++) {
      const done = this.pressure.begin()
      try {
        res = await this.exchange(method, url, headers, payload)
        done(res.status < 500)
        break
      } catch (err) {
        const reason = transportReason(err)
        // Nothing listens (Asterisk stopped): away, not slow. Counted as failures, an outage
        // turned overload on ("Asterisk is answering slowly", engine.overloaded) while the
        // link itself said it was down; the link's reconnection has its own pace.
        done(reason === 'ECONNREFUSED' ? null : false)
        // A read changes nothing: an overloaded Asterisk that dropped it gets it again, shortly.
        // A refused connection is no overload: nothing listens (Asterisk is down), and the
        // caller (the reconnect loop) has its own pace.
        if (method !== 'GET' || attempt >= GET_ATTEMPTS || reason.startsWith('timeout') || reason === 'ECONNREFUSED') throw new AriTransportError(`${method} ${path}`, reason)
        // With jitter: reads that failed together (an Asterisk that stalled) do not all come back at once.
        await new Promise((r) => setTimeout(r, 200 * 3 ** (attempt - 1) * (0.5 + Math.random())))
      }
    }
    if (res.status === 401) throw new AriAuthError(this.creds.url, this.creds.user)
    if (raw && res.ok) return res.body as T
    return answerOf<T>(res.status, res.text(), method, path)
  }

  /**
   * One request over the event socket: its answer, or undefined when it must go over HTTP
   * instead (the socket closed before Asterisk could have seen it, or under a read).
   * Errors as over HTTP: AriTransportError when no answer came (timeout, socket lost).
   */
  private async overSocket(socket: SocketRest, method: string, path: string, query: Query, body: unknown): Promise<{status: number; body: string} | undefined> {
    const qs: [string, string][] = []
    for (const [k, v] of Object.entries(query)) if (v !== undefined) qs.push([k, String(v)])
    const done = this.pressure.begin()
    try {
      const answer = await socket.send(method, path, qs, body === undefined ? undefined : JSON.stringify(body))
      done(answer.status < 500)
      if (restCounter.enabled) restCounter.count('websocket', method, path)
      return answer
    } catch (err) {
      const f = err instanceof SocketRestFailure ? err : new SocketRestFailure(String(err), true)
      // Never sent: not Asterisk's doing, so no sample and no back-off.
      done(f.sent ? false : null)
      // A read is safe to send again; a change Asterisk may have made is not (as over HTTP).
      if (!f.sent || (method === 'GET' && !f.reason.startsWith('timeout'))) return undefined
      throw new AriTransportError(`${method} ${path}`, f.reason)
    }
  }

  private exchange(method: string, url: string, headers: Record<string, string>, payload: string | undefined, retried = false): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = this.send(url, {method, headers, agent: this.agent, signal: AbortSignal.timeout(TIMEOUT_MS)}, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('error', reject)
        res.on('end', () => {
          const status = res.statusCode ?? 0
          const body = Buffer.concat(chunks)
          resolve({status, ok: status >= 200 && status < 300, body, text: () => body.toString('utf8')})
        })
      })
      req.on('error', (err: NodeJS.ErrnoException) => {
        // A kept connection the server closed just as this request went out: Asterisk never
        // read it, so sending it again on a fresh connection is safe (Node's own advice).
        if (req.reusedSocket && err.code === 'ECONNRESET' && !retried) this.exchange(method, url, headers, payload, true).then(resolve, reject)
        else reject(err)
      })
      req.end(payload)
    })
  }

  private enc(s: string): string {
    return encodeURIComponent(s)
  }

  asteriskInfo(): Promise<AsteriskInfo> {
    return this.request('GET', '/asterisk/info')
  }
  async setGlobalVar(name: string, value: string): Promise<void> {
    await this.request('POST', '/asterisk/variable', {variable: name, value})
  }
  async getGlobalVar(name: string): Promise<string> {
    return (await this.request<{value: string}>('GET', '/asterisk/variable', {variable: name})).value
  }

  listChannels(): Promise<Channel[]> {
    return this.request('GET', '/channels')
  }
  getChannel(id: string): Promise<Channel> {
    return this.request('GET', `/channels/${this.enc(id)}`)
  }
  originate(p: OriginateParams): Promise<Channel> {
    const {variables, ...q} = p
    // Without formats ARI gives a new Local channel every audio format, and it picks
    // slin192: each 20 ms of 8 kHz music, tone or speech through it is resampled 24-fold
    // and back. In the issue-12 overload codec_resample took about 85 % of Asterisk's CPU
    // and Asterisk stopped answering. 8 kHz signed linear is what the sandbox's files,
    // tones and recordings are: no translation at all. Other technologies keep their
    // own negotiation (a phone's allowed codecs).
    const formats = q.formats ?? (q.endpoint.startsWith('Local/') ? 'slin' : undefined)
    return this.request('POST', '/channels', {...q, formats} as Query, variables ? {variables} : undefined)
  }
  async answer(id: string): Promise<void> {
    await this.request('POST', `/channels/${this.enc(id)}/answer`)
  }
  async hangup(id: string, reason?: string): Promise<void> {
    await this.request('DELETE', `/channels/${this.enc(id)}`, {reason})
  }
  async ring(id: string): Promise<void> {
    await this.request('POST', `/channels/${this.enc(id)}/ring`)
  }
  async startMoh(id: string, mohClass?: string): Promise<void> {
    await this.request('POST', `/channels/${this.enc(id)}/moh`, {mohClass})
  }
  async stopMoh(id: string): Promise<void> {
    await this.request('DELETE', `/channels/${this.enc(id)}/moh`)
  }
  async hold(id: string): Promise<void> {
    await this.request('POST', `/channels/${this.enc(id)}/hold`)
  }
  async unhold(id: string): Promise<void> {
    await this.request('DELETE', `/channels/${this.enc(id)}/hold`)
  }
  async setChannelVar(id: string, name: string, value: string): Promise<void> {
    await this.request('POST', `/channels/${this.enc(id)}/variable`, {variable: name, value})
  }
  async getChannelVar(id: string, name: string): Promise<string> {
    return (await this.request<{value: string}>('GET', `/channels/${this.enc(id)}/variable`, {variable: name})).value
  }
  async sendDtmf(id: string, dtmf: string): Promise<void> {
    await this.request('POST', `/channels/${this.enc(id)}/dtmf`, {dtmf})
  }
  async continueInDialplan(id: string, context?: string, extension?: string, priority?: number): Promise<void> {
    await this.request('POST', `/channels/${this.enc(id)}/continue`, {context, extension, priority})
  }
  playOnChannel(id: string, media: string | string[], playbackId?: string, lang?: string): Promise<Playback> {
    const m = Array.isArray(media) ? media.join(',') : media
    return this.request('POST', `/channels/${this.enc(id)}/play`, {media: m, playbackId, lang})
  }
  recordChannel(id: string, p: RecordParams): Promise<LiveRecording> {
    return this.request('POST', `/channels/${this.enc(id)}/record`, p as unknown as Query)
  }
  snoop(id: string, p: SnoopParams): Promise<Channel> {
    return this.request('POST', `/channels/${this.enc(id)}/snoop`, p as unknown as Query)
  }

  listBridges(): Promise<Bridge[]> {
    return this.request('GET', '/bridges')
  }
  createBridge(type: string, bridgeId?: string, name?: string): Promise<Bridge> {
    return this.request('POST', '/bridges', {type, bridgeId, name})
  }
  async destroyBridge(id: string): Promise<void> {
    await this.request('DELETE', `/bridges/${this.enc(id)}`)
  }
  async addToBridge(id: string, channelIds: string[], role?: string): Promise<void> {
    await this.request('POST', `/bridges/${this.enc(id)}/addChannel`, {channel: channelIds.join(','), role})
  }
  async removeFromBridge(id: string, channelIds: string[]): Promise<void> {
    await this.request('POST', `/bridges/${this.enc(id)}/removeChannel`, {channel: channelIds.join(',')})
  }
  playOnBridge(id: string, media: string | string[], playbackId?: string): Promise<Playback> {
    const m = Array.isArray(media) ? media.join(',') : media
    return this.request('POST', `/bridges/${this.enc(id)}/play`, {media: m, playbackId})
  }
  recordBridge(id: string, p: RecordParams): Promise<LiveRecording> {
    return this.request('POST', `/bridges/${this.enc(id)}/record`, p as unknown as Query)
  }
  async startBridgeMoh(id: string, mohClass?: string): Promise<void> {
    await this.request('POST', `/bridges/${this.enc(id)}/moh`, {mohClass})
  }
  async stopBridgeMoh(id: string): Promise<void> {
    await this.request('DELETE', `/bridges/${this.enc(id)}/moh`)
  }

  async stopPlayback(id: string): Promise<void> {
    await this.request('DELETE', `/playbacks/${this.enc(id)}`)
  }
  async stopRecording(name: string): Promise<void> {
    await this.request('POST', `/recordings/live/${this.enc(name)}/stop`)
  }
  async deleteStoredRecording(name: string): Promise<void> {
    await this.request('DELETE', `/recordings/stored/${this.enc(name)}`)
  }
  downloadStoredRecording(name: string): Promise<Buffer> {
    return this.request('GET', `/recordings/stored/${this.enc(name)}/file`, {}, undefined, true)
  }
  applicationInfo(app: string): Promise<{name: string; channel_ids: string[]; bridge_ids: string[]}> {
    return this.request('GET', `/applications/${this.enc(app)}`)
  }
  async subscribe(app: string, sources: string[]): Promise<void> {
    await this.request('POST', `/applications/${this.enc(app)}/subscription`, {eventSource: sources.join(',')})
  }
  async unsubscribe(app: string, sources: string[]): Promise<void> {
    await this.request('DELETE', `/applications/${this.enc(app)}/subscription`, {eventSource: sources.join(',')})
  }
  getEndpoint(technology: string, resource: string): Promise<Endpoint> {
    return this.request('GET', `/endpoints/${this.enc(technology)}/${this.enc(resource)}`)
  }
  async getDeviceState(name: string): Promise<string> {
    return (await this.request<{state: string}>('GET', `/deviceStates/${this.enc(name)}`)).state
  }
  putConfigObject(configClass: string, objectType: string, id: string, fields: ConfigTuple[]): Promise<ConfigTuple[]> {
    return this.request('PUT', `/asterisk/config/dynamic/${this.enc(configClass)}/${this.enc(objectType)}/${this.enc(id)}`, {}, {fields})
  }
  getConfigObject(configClass: string, objectType: string, id: string): Promise<ConfigTuple[]> {
    return this.request('GET', `/asterisk/config/dynamic/${this.enc(configClass)}/${this.enc(objectType)}/${this.enc(id)}`)
  }
  async deleteConfigObject(configClass: string, objectType: string, id: string): Promise<void> {
    await this.request('DELETE', `/asterisk/config/dynamic/${this.enc(configClass)}/${this.enc(objectType)}/${this.enc(id)}`)
  }

}

/** A text answer as the engine sees it: parsed JSON, or AriRequestError on a non-2xx status. */
function answerOf<T>(status: number, text: string, method: string, path: string): T {
  // Asterisk's HTTP server says 503 "Shutdown in progress" (an HTML page, not ARI) while it
  // stops: Asterisk is going away, as with a refused connection a moment later, so callers
  // take it as no answer (simulate waiting for its callers ended as a "callctl bug").
  if (status === 503 && /shutdown in progress/i.test(text)) throw new AriTransportError(`${method} ${path}`, 'Asterisk is shutting down')
  if (status < 200 || status >= 300) {
    let message = text
    try {
      message = (JSON.parse(text) as {message?: string}).message ?? text
    } catch {
      // not JSON: keep the text
    }
    throw new AriRequestError(status, `${method} ${path}`, message)
  }
  return (text ? JSON.parse(text) : undefined) as T
}

/** Why there was no answer, in a word or two: ECONNREFUSED, ECONNRESET, timeout. */
function transportReason(err: unknown): string {
  const e = err as {name?: string; code?: string; message?: string}
  if (e.name === 'AbortError' || e.name === 'TimeoutError') return `timeout after ${TIMEOUT_MS / 1000} s`
  return e.code ?? e.message ?? String(err)
}
