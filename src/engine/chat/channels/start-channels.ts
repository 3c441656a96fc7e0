import {createServer} from 'node:net'
import type {ChatCoreForChannels} from '../channel.js'
import type {Logger} from '../../util/log.js'
import {ensureSecret, readSecret} from '../../util/secrets.js'
import {UserError} from '../../util/errors.js'
import type {ChannelsSettings} from './channels-config.js'
import {ChatServer} from './chat-server.js'
import {Uploads} from './web/uploads.js'
import {WebChannel} from './web/web-channel.js'
import {WechatApi} from './wechat/wechat-api.js'
import {WechatChannel, fetchImage} from './wechat/wechat-channel.js'
import {readEncodingAesKey, WechatCrypto} from './wechat/wechat-crypto.js'
import {WebhookChannel} from './webhook/webhook-channel.js'

/** The longest a stop waits for webhook deliveries under way. */
const STOP_WAIT_MS = 3000

export interface RunningChannels {
  /** The chat server's URL (http://host:port): the widget is at /chat/, its loader at /chat/embed.js. */
  url: string
  web: WebChannel
  wechat: WechatChannel | null
  webhook: WebhookChannel | null
  uploads: Uploads
  stop(): Promise<void>
}

/**
 * Starts the chat server with the configured channels and registers each with the chat
 * core. A port in use is the user's to fix (exit 2), like the API's.
 */
export async function startChannels(settings: ChannelsSettings, core: ChatCoreForChannels, log: Logger): Promise<RunningChannels> {
  const uploads = new Uploads(settings.uploadsDir, settings.web.maxImageBytes, settings.web.maxUploadsBytes)
  let publicUrl = settings.web.publicUrl
  const web = new WebChannel({core, uploads, log, maxTextChars: settings.web.maxTextChars, uploadUrl: (file) => `${publicUrl}/chat/uploads/${file}`})
  const routes: ConstructorParameters<typeof ChatServer>[0]['routes'] = {}
  let wechat: WechatChannel | null = null
  if (settings.wechat) {
    const w = settings.wechat
    const api = w.appId && w.appSecretFile ? new WechatApi({base: w.apiBase, appId: w.appId, appSecret: secretFrom(w.appSecretFile, 'channels.wechat.appSecretFile', 'the AppSecret from the account console'), log}) : null
    const token = ensureSecret(w.tokenFile)
    let crypto: WechatCrypto | null = null
    if (w.mode !== 'plain') {
      if (!w.appId) throw new UserError(`channels.wechat.mode ${w.mode} needs appId`, {suggestion: 'Set channels.wechat.appId (基本配置 → 开发者ID): encrypted messages carry it.', exitCode: 2, code: 'invalid_config'})
      const aes = readEncodingAesKey(w.encodingAesKeyFile, 'channels.wechat.encodingAesKeyFile')
      if (aes.loose) log.warn(`wechat: ${w.encodingAesKeyFile} can be read by others than its owner; chmod 600 it`)
      let previous: Buffer | null = null
      if (w.previousEncodingAesKeyFile) {
        const old = readEncodingAesKey(w.previousEncodingAesKeyFile, 'channels.wechat.previousEncodingAesKeyFile')
        if (old.loose) log.warn(`wechat: ${w.previousEncodingAesKeyFile} can be read by others than its owner; chmod 600 it`)
        if (old.key.equals(aes.key)) log.warn('wechat: channels.wechat.previousEncodingAesKeyFile holds the same key as encodingAesKeyFile; after a change in the console the new key goes in encodingAesKeyFile, the old one in previousEncodingAesKeyFile')
        else previous = old.key
      }
      crypto = new WechatCrypto(aes.key, w.appId, token, previous)
    }
    // An image the chat server keeps (a customer's upload) is read from disk, any other fetched.
    const uploadsPrefix = () => `${publicUrl}/chat/uploads/`
    const readImage = async (url: string) => (url.startsWith(uploadsPrefix()) ? (uploads.read(url.slice(uploadsPrefix().length)) ?? null) : fetchImage(url))
    wechat = new WechatChannel({core, log, token, api, replyWaitMs: w.replyWaitMs, mode: w.mode, crypto, readImage})
    routes[w.path] = (req, res, url) => wechat!.handle(req, res, url)
  }
  let webhook: WebhookChannel | null = null
  if (settings.webhook) {
    const h = settings.webhook
    webhook = new WebhookChannel({core, log, secret: ensureSecret(h.secretFile, 32), url: h.url, timeoutMs: h.timeoutMs, maxTextChars: settings.web.maxTextChars})
    routes[h.path] = (req, res) => webhook!.handle(req, res)
  }
  const server = new ChatServer({host: settings.web.host, port: settings.web.port, log, web, uploads, frameAncestors: settings.web.frameAncestors, routes})
  let url: string
  try {
    url = await server.listen()
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw chatPortInUse(settings, null)
    throw err
  }
  publicUrl ??= url
  core.register(web)
  if (wechat) core.register(wechat)
  if (webhook) core.register(webhook)
  log.info(`chat server listening on ${url} (widget ${url}/chat/${wechat ? `, WeChat ${settings.wechat!.path}` : ''}${webhook ? `, webhook ${settings.webhook!.path}` : ''})`)
  return {
    url,
    web,
    wechat,
    webhook,
    uploads,
    async stop() {
      await server.close()
      // Deliveries under way get a moment to finish; a platform that is down does not hold the stop.
      if (webhook) await Promise.race([webhook.settled(), new Promise((r) => setTimeout(r, STOP_WAIT_MS).unref())])
    },
  }
}

/**
 * Refuses (exit 2) when the chat port is taken, by binding it for a moment. The engine
 * asks before it touches Asterisk or the log: found only when the chat server starts, an
 * engine that never served had written engine.started and agent.unreachable events.
 * `owner` names the holder when the caller knows it (the engine's own API port).
 */
export async function refuseTakenChatPort(settings: ChannelsSettings, owner: string | null): Promise<void> {
  const {host, port} = settings.web
  // 0 is a free port picked at bind time: nothing to take.
  if (port === 0) return
  // Another bind error (a host not on this machine...) is left to the chat server's own bind.
  const taken = await new Promise<boolean>((resolve) => {
    const srv = createServer()
    srv.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'EADDRINUSE'))
    srv.listen(port, host, () => srv.close(() => resolve(false)))
  })
  if (taken) throw chatPortInUse(settings, owner)
}

function chatPortInUse(settings: ChannelsSettings, owner: string | null): UserError {
  return new UserError(`The chat port ${settings.web.host}:${settings.web.port} is in use${owner ? ` by ${owner}` : ''}`, {
    suggestion: 'Set channels.web.port in the config (CALLCTL_CHAT_PORT), or stop what holds the port.',
    exitCode: 2,
    code: 'port_in_use',
  })
}

function secretFrom(file: string, setting: string, what: string): string {
  try {
    const v = readSecret(file)
    if (v) return v
  } catch {
    // said below
  }
  throw new UserError(`${setting}: ${file} is missing or empty`, {suggestion: `Write ${what} into it (chmod 600).`, exitCode: 2, code: 'invalid_config'})
}
