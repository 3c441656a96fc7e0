import type {
  AriCredentials,
  AriRest,
  AsteriskInfo,
  Bridge,
  Channel,
  LiveRecording,
  OriginateParams,
  Playback,
  RecordParams,
  SnoopParams,
} from './port.js'
import {AriAuthError, AriRequestError} from './port.js'

type Query = Record<string, string | number | boolean | undefined>

/**
 * ARI's REST half over fetch. ari-client 2.2.0's REST layer (swagger-client 2.0 over
 * shred) turns every non-2xx answer into an Error carrying only the body text, so a
 * 404 (channel already gone: routine in telephony) cannot be told from a 500; it also
 * registers basic auth globally, so two clients in one process share credentials.
 */
export class AriHttp implements AriRest {
  private readonly base: string
  private readonly auth: string

  constructor(readonly creds: AriCredentials) {
    this.base = creds.url.replace(/\/+$/, '') + '/ari'
    this.auth = 'Basic ' + Buffer.from(`${creds.user}:${creds.password}`).toString('base64')
  }

  async request<T>(method: string, path: string, query: Query = {}, body?: unknown, raw = false): Promise<T> {
    const qs = new URLSearchParams()
    for (const [k, v] of Object.entries(query)) if (v !== undefined) qs.set(k, String(v))
    const url = `${this.base}${path}${qs.size ? '?' + qs.toString() : ''}`
    const res = await fetch(url, {
      method,
      headers: {authorization: this.auth, ...(body === undefined ? {} : {'content-type': 'application/json'})},
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    })
    if (res.status === 401) throw new AriAuthError(this.creds.url, this.creds.user)
    if (!res.ok) {
      const text = await res.text()
      let message = text
      try {
        message = (JSON.parse(text) as {message?: string}).message ?? text
      } catch {
        // not JSON: keep the text
      }
      throw new AriRequestError(res.status, `${method} ${path}`, message)
    }
    if (raw) return Buffer.from(await res.arrayBuffer()) as T
    const text = await res.text()
    return (text ? JSON.parse(text) : undefined) as T
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
    return this.request('POST', '/channels', {...q} as Query, variables ? {variables} : undefined)
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
}
