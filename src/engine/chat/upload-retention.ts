import {join} from 'node:path'
import {loadEngineConfig} from '../config/engine-config.js'
import {withStore} from '../config/open-store.js'
import type {EventType} from '../store/events.js'
import type {Store} from '../store/store.js'
import type {Logger} from '../util/log.js'
import {purgeUploadsDir, type UploadsPurged} from './channels/web/uploads.js'

// The web widget's images are kept chat.uploadsRetention (default 90 days, 0 forever):
// the engine deletes older ones at start and once a day, `callctl chat purge-uploads` on
// demand. An image shown in a conversation still open is never deleted, however old.

const DAY_MS = 86_400_000
const UPLOAD_IN_URL = /\/chat\/uploads\/([A-Za-z0-9_-]{32}\.(?:png|jpg|gif|webp))$/
/** How far back the log is read for open conversations (the chat core's restart window). */
const OPEN_WINDOW_MS = 8 * DAY_MS

/** The upload file an image line points at (…/chat/uploads/NAME), or null for an image from elsewhere (WeChat's). */
export function uploadNameOf(url: string): string | null {
  return UPLOAD_IN_URL.exec(url)?.[1] ?? null
}

/** Upload files shown in these conversations' lines. */
export function uploadsIn(conversations: Iterable<{lines: readonly {image?: {url: string}}[]}>): Set<string> {
  const out = new Set<string>()
  for (const c of conversations) {
    for (const l of c.lines) {
      const name = l.image ? uploadNameOf(l.image.url) : null
      if (name) out.add(name)
    }
  }
  return out
}

const LOG_TYPES: readonly EventType[] = ['chat.started', 'chat.message', 'chat.closed']

/** Upload files shown in conversations the log has open (no engine needed: the command's view). */
export async function liveUploadsFromLog(store: Pick<Store, 'events'>, now: number): Promise<Set<string>> {
  const open = new Map<string, Set<string>>()
  for await (const e of store.events({since: now - OPEN_WINDOW_MS, types: LOG_TYPES})) {
    if (!e.callId) continue
    if (e.type === 'chat.started') open.set(e.callId, new Set())
    else if (e.type === 'chat.closed') open.delete(e.callId)
    else {
      const image = e.data.image as {url?: unknown} | undefined
      const name = typeof image?.url === 'string' ? uploadNameOf(image.url) : null
      if (name) open.get(e.callId)?.add(name)
    }
  }
  const out = new Set<string>()
  for (const names of open.values()) for (const n of names) out.add(n)
  return out
}

export interface UploadRetention {
  /** One purge now (tests; the timer calls it daily). */
  run(): UploadsPurged | null
  stop(): void
}

/** Purges at once, then every day; nothing with a retention of 0. */
export function startUploadRetention(o: {
  uploads: {purgeOlderThan(cutoff: number, keep: ReadonlySet<string>): UploadsPurged}
  keepMs: number
  live: () => Set<string>
  log: Logger
  now?: () => number
  everyMs?: number
}): UploadRetention {
  const now = o.now ?? Date.now
  const run = (): UploadsPurged | null => {
    if (o.keepMs <= 0) return null
    try {
      const res = o.uploads.purgeOlderThan(now() - o.keepMs, o.live())
      if (res.removed > 0 || res.kept > 0) {
        o.log.info(`chat uploads: ${res.removed} older than ${Math.round(o.keepMs / DAY_MS)} days removed (${Math.round(res.bytes / 1024)} KiB)${res.kept ? `, ${res.kept} kept for conversations still open` : ''}`, {removed: res.removed, bytes: res.bytes, kept: res.kept})
      }
      return res
    } catch (err) {
      o.log.warn('chat uploads: the retention purge failed; tried again tomorrow', {error: err instanceof Error ? err.message : String(err)})
      return null
    }
  }
  run()
  const timer = o.keepMs > 0 ? setInterval(run, o.everyMs ?? DAY_MS) : null
  timer?.unref()
  return {
    run,
    stop: () => {
      if (timer) clearInterval(timer)
    },
  }
}

export interface UploadsPurgeResult extends UploadsPurged {
  dir: string
  cutoff: number | null
  dryRun: boolean
  /** The retention applied (ms); 0: chat.uploadsRetention keeps uploads and no --older-than was given. */
  olderThanMs: number
}

/**
 * `callctl chat purge-uploads`: the engine's own purge, from the configured uploads directory
 * and the log's open conversations (an engine running or not), the retention of the config
 * unless given.
 */
export async function purgeConfiguredUploads(configFile: string | undefined, o: {olderThanMs?: number; now: number; dryRun?: boolean}): Promise<UploadsPurgeResult> {
  const config = loadEngineConfig({file: configFile, requireAri: false})
  const dir = config.channels?.uploadsDir ?? join(config.paths.home, 'chat-uploads')
  const olderThanMs = o.olderThanMs ?? config.chat.uploadsRetentionMs
  const dryRun = o.dryRun === true
  if (olderThanMs <= 0) return {dir, cutoff: null, dryRun, olderThanMs, removed: 0, bytes: 0, kept: 0, names: []}
  const live = await withStore(configFile, (store) => liveUploadsFromLog(store, o.now))
  const cutoff = o.now - olderThanMs
  return {dir, cutoff, dryRun, olderThanMs, ...purgeUploadsDir(dir, cutoff, live, dryRun)}
}
