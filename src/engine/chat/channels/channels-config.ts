import {join} from 'node:path'
import {errorAt, type LocatedDoc} from '../../config/yaml-errors.js'
import type {Paths} from '../../util/paths.js'

// The config's channels: section: where the chat HTTP server listens (the web widget,
// the WeChat webhook and the JSON webhook all arrive there) and each channel's secrets,
// read from 0600 files so they never sit in the config itself.
//
//   channels:
//     web: {host: 127.0.0.1, port: 8090, publicUrl: https://chat.example.com, frameAncestors: [https://www.example.com]}
//     wechat:
//       appId: wx1234567890abcdef
//       appSecretFile: /etc/callctl/wechat-app-secret   # from the account's console
//       tokenFile: /etc/callctl/wechat-token            # the Token set in the console; default secrets/wechat-token
//       mode: safe                                      # 消息加解密方式: plain (明文), compatible (兼容) or safe (安全); default plain
//       encodingAesKeyFile: /etc/callctl/wechat-aes-key # the EncodingAESKey (43 characters); default secrets/wechat-aes-key
//       previousEncodingAesKeyFile: /etc/callctl/wechat-aes-key.old  # after changing the key in the console: the old one, for messages still sealed with it
//     webhook:
//       url: https://bots.example.com/callctl           # where the engine's messages go
//       secretFile: /etc/callctl/chat-webhook.secret    # HMAC key both ways; default secrets/chat-webhook
//
// No channels: section (and no CALLCTL_CHAT_PORT) means no chat server: an engine that
// takes calls only opens no port it does not use.

export interface ChannelsSettings {
  web: {
    host: string
    /** 0 picks a free port (tests). */
    port: number
    /** How the desk and customers reach the server (upload URLs), when not http://host:port. */
    publicUrl: string | null
    /** Sites that may embed the widget (CSP frame-ancestors); ['*'] allows any. */
    frameAncestors: string[]
    maxImageBytes: number
    /** All images kept together: beyond it uploads are refused rather than fill the disk. */
    maxUploadsBytes: number
    maxTextChars: number
  }
  wechat: {
    path: string
    tokenFile: string
    appId: string | null
    appSecretFile: string | null
    apiBase: string
    /** How long a message's POST waits for the first answer to send as the passive reply. */
    replyWaitMs: number
    /** The console's message encryption (消息加解密方式): compatible takes plain and encrypted requests, safe encrypted only (wechat-crypto.ts). */
    mode: WechatMode
    /** The EncodingAESKey's file (compatible and safe modes). */
    encodingAesKeyFile: string
    /** The EncodingAESKey before the console's last change: tried when the current one cannot decrypt a message (wechat-crypto.ts); null: none. */
    previousEncodingAesKeyFile: string | null
  } | null
  webhook: {path: string; url: string | null; secretFile: string; timeoutMs: number} | null
  uploadsDir: string
}

const KEYS = ['web', 'wechat', 'webhook'] as const
const WEB_KEYS = ['host', 'port', 'publicUrl', 'frameAncestors', 'maxImageKB', 'maxUploadsMB', 'maxTextChars'] as const
const WECHAT_KEYS = ['path', 'tokenFile', 'appId', 'appSecretFile', 'apiBase', 'replyWaitMs', 'mode', 'encodingAesKeyFile', 'previousEncodingAesKeyFile'] as const
export const WECHAT_MODES = ['plain', 'compatible', 'safe'] as const
export type WechatMode = (typeof WECHAT_MODES)[number]
const WEBHOOK_KEYS = ['path', 'url', 'secretFile', 'timeoutMs'] as const
const HTTP_URL = /^https?:\/\/[^/\s]+\S*$/
const PATH = /^\/[A-Za-z0-9/_-]{1,63}$/

export interface RawChannels {
  web?: {host?: string; port?: number; publicUrl?: string; frameAncestors?: string[]; maxImageKB?: number; maxUploadsMB?: number; maxTextChars?: number}
  wechat?: {path?: string; tokenFile?: string; appId?: string; appSecretFile?: string; apiBase?: string; replyWaitMs?: number; mode?: WechatMode; encodingAesKeyFile?: string; previousEncodingAesKeyFile?: string} | null
  webhook?: {path?: string; url?: string; secretFile?: string; timeoutMs?: number} | null
}

type CheckKeys = (d: LocatedDoc, path: string[], o: Record<string, unknown>, keys: readonly string[]) => void

export function validateChannelsSettings(d: LocatedDoc, r: Record<string, unknown>, checkKeys: CheckKeys): void {
  if (r.channels === undefined || r.channels === null) return
  const mapping = (v: unknown, path: string[], keys: readonly string[]): Record<string, unknown> => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw errorAt(d, path, `${path.join('.')} must be a mapping`, `Accepted keys: ${keys.join(', ')}.`)
    checkKeys(d, path, v as Record<string, unknown>, keys)
    return v as Record<string, unknown>
  }
  const c = mapping(r.channels, ['channels'], KEYS)
  const int = (o: Record<string, unknown>, path: string[], min: number, max: number) => {
    const v = o[path.at(-1)!]
    if (v !== undefined && (!Number.isInteger(v) || (v as number) < min || (v as number) > max)) throw errorAt(d, path, `${path.join('.')} must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`)
  }
  const str = (o: Record<string, unknown>, path: string[], pattern: RegExp | null, example: string) => {
    const v = o[path.at(-1)!]
    if (v !== undefined && (typeof v !== 'string' || v === '' || (pattern && !pattern.test(v)))) throw errorAt(d, path, `${path.join('.')} is not valid: ${JSON.stringify(v)}`, example)
  }
  if (c.web !== undefined && c.web !== null) {
    const w = mapping(c.web, ['channels', 'web'], WEB_KEYS)
    str(w, ['channels', 'web', 'host'], null, 'Example: host: 127.0.0.1 (0.0.0.0 for every interface)')
    int(w, ['channels', 'web', 'port'], 0, 65535)
    str(w, ['channels', 'web', 'publicUrl'], /^https?:\/\/[^/\s]+$/, 'Example: publicUrl: https://chat.example.com (no path)')
    int(w, ['channels', 'web', 'maxImageKB'], 1, 20 * 1024)
    int(w, ['channels', 'web', 'maxUploadsMB'], 1, 1024 * 1024)
    int(w, ['channels', 'web', 'maxTextChars'], 1, 20_000)
    if (w.frameAncestors !== undefined) {
      const f = w.frameAncestors
      if (!Array.isArray(f) || f.length === 0 || f.some((x) => typeof x !== 'string' || !(x === '*' || x === "'self'" || /^https?:\/\/[A-Za-z0-9.*-]+(:[0-9]+)?$/.test(x)))) {
        throw errorAt(d, ['channels', 'web', 'frameAncestors'], 'channels.web.frameAncestors must be a list of origins (or *)', 'Example: frameAncestors: [https://www.example.com]')
      }
    }
  }
  if (c.wechat !== undefined && c.wechat !== null) {
    const w = mapping(c.wechat, ['channels', 'wechat'], WECHAT_KEYS)
    str(w, ['channels', 'wechat', 'path'], PATH, 'Example: path: /wechat')
    str(w, ['channels', 'wechat', 'tokenFile'], null, 'Example: tokenFile: /etc/callctl/wechat-token')
    str(w, ['channels', 'wechat', 'appId'], /^[A-Za-z0-9_-]{1,64}$/, 'Example: appId: wx1234567890abcdef')
    str(w, ['channels', 'wechat', 'appSecretFile'], null, 'Example: appSecretFile: /etc/callctl/wechat-app-secret')
    str(w, ['channels', 'wechat', 'apiBase'], HTTP_URL, 'Example: apiBase: https://api.weixin.qq.com')
    int(w, ['channels', 'wechat', 'replyWaitMs'], 0, 4000)
    if (w.mode !== undefined && !WECHAT_MODES.includes(w.mode as WechatMode)) {
      throw errorAt(d, ['channels', 'wechat', 'mode'], `channels.wechat.mode must be one of ${WECHAT_MODES.join(', ')}, got ${JSON.stringify(w.mode)}`, 'Use the console\'s 消息加解密方式: plain (明文模式), compatible (兼容模式), safe (安全模式).')
    }
    str(w, ['channels', 'wechat', 'encodingAesKeyFile'], null, 'Example: encodingAesKeyFile: /etc/callctl/wechat-aes-key')
    str(w, ['channels', 'wechat', 'previousEncodingAesKeyFile'], null, 'Example: previousEncodingAesKeyFile: /etc/callctl/wechat-aes-key.old')
    const encrypted = w.mode === 'compatible' || w.mode === 'safe'
    if (encrypted && w.appId === undefined) {
      throw errorAt(d, ['channels', 'wechat', 'mode'], `channels.wechat.mode ${String(w.mode)} needs appId: every encrypted message carries it and is refused unless it matches`, 'Example: appId: wx1234567890abcdef (基本配置 → 开发者ID)')
    }
    // appId alone is fine when messages are encrypted (it checks them), passive replies only.
    // In plain mode its one use is the customer-service API, which needs the secret too: say
    // so, rather than a rule that reads as if safe mode (which takes appId alone) broke it.
    if (w.appSecretFile !== undefined && w.appId === undefined) {
      throw errorAt(d, ['channels', 'wechat', 'appSecretFile'], 'channels.wechat.appSecretFile needs appId: the customer-service API asks for a token with both', 'Example: appId: wx1234567890abcdef (基本配置 → 开发者ID)', true)
    }
    if (w.appId !== undefined && w.appSecretFile === undefined && !encrypted) {
      throw errorAt(
        d,
        ['channels', 'wechat', 'appId'],
        `channels.wechat.appId in mode ${String(w.mode ?? 'plain')} is only for the customer-service API, which needs appSecretFile too (needs both appId and appSecretFile, or neither: passive replies only); in compatible and safe modes appId alone checks encrypted messages`,
        'Add appSecretFile: /etc/callctl/wechat-app-secret, or remove appId for passive replies only.',
        true,
      )
    }
  }
  if (c.webhook !== undefined && c.webhook !== null) {
    const w = mapping(c.webhook, ['channels', 'webhook'], WEBHOOK_KEYS)
    str(w, ['channels', 'webhook', 'path'], PATH, 'Example: path: /webhook')
    str(w, ['channels', 'webhook', 'url'], HTTP_URL, 'Example: url: https://bots.example.com/callctl')
    str(w, ['channels', 'webhook', 'secretFile'], null, 'Example: secretFile: /etc/callctl/chat-webhook.secret')
    int(w, ['channels', 'webhook', 'timeoutMs'], 100, 60_000)
  }
}

/** The settings, defaults filled in; null when no chat server is configured. CALLCTL_CHAT_PORT and CALLCTL_CHAT_HOST set the address for one run. */
export function channelsSettings(raw: RawChannels | null | undefined, paths: Paths, env: NodeJS.ProcessEnv): ChannelsSettings | null {
  if ((raw === undefined || raw === null) && !env.CALLCTL_CHAT_PORT) return null
  const web = raw?.web ?? {}
  const port = env.CALLCTL_CHAT_PORT !== undefined && env.CALLCTL_CHAT_PORT !== '' ? Number(env.CALLCTL_CHAT_PORT) : (web.port ?? 8090)
  return {
    web: {
      host: env.CALLCTL_CHAT_HOST || web.host || '127.0.0.1',
      port: Number.isInteger(port) && port >= 0 && port <= 65535 ? port : 8090,
      publicUrl: web.publicUrl ?? null,
      frameAncestors: web.frameAncestors ?? ['*'],
      maxImageBytes: (web.maxImageKB ?? 5 * 1024) * 1024,
      maxUploadsBytes: (web.maxUploadsMB ?? 1024) * 1024 * 1024,
      maxTextChars: web.maxTextChars ?? 4000,
    },
    wechat: raw?.wechat
      ? {
          path: raw.wechat.path ?? '/wechat',
          tokenFile: raw.wechat.tokenFile ?? join(paths.secretsDir, 'wechat-token'),
          appId: raw.wechat.appId ?? null,
          appSecretFile: raw.wechat.appSecretFile ?? null,
          apiBase: raw.wechat.apiBase ?? 'https://api.weixin.qq.com',
          replyWaitMs: raw.wechat.replyWaitMs ?? 1500,
          mode: raw.wechat.mode ?? 'plain',
          encodingAesKeyFile: raw.wechat.encodingAesKeyFile ?? join(paths.secretsDir, 'wechat-aes-key'),
          previousEncodingAesKeyFile: raw.wechat.previousEncodingAesKeyFile ?? null,
        }
      : null,
    webhook: raw?.webhook
      ? {path: raw.webhook.path ?? '/webhook', url: raw.webhook.url ?? null, secretFile: raw.webhook.secretFile ?? join(paths.secretsDir, 'chat-webhook'), timeoutMs: raw.webhook.timeoutMs ?? 5000}
      : null,
    uploadsDir: join(paths.home, 'chat-uploads'),
  }
}
