import {writeFileSync} from 'node:fs'

// How many REST requests this process sent to Asterisk, by kind ("POST /channels/:id/answer")
// and by transport, for finding where a call's cost goes (issue 14 part 6): each request is
// one Asterisk must parse, route and answer. Off unless CALLCTL_ARI_REST_COUNT names a file
// ("%p" becomes the pid, so the bench and the engine it starts write their own); the counts
// are written there when the process exits. Off, it costs one boolean test per request.

// Path segments that are words of ARI's API, not ids: everything else becomes ":id".
const WORDS = new Set([
  'channels', 'bridges', 'playbacks', 'recordings', 'live', 'stored', 'file', 'applications', 'subscription',
  'deviceStates', 'endpoints', 'asterisk', 'info', 'variable', 'config', 'dynamic', 'answer', 'ring', 'moh', 'hold',
  'dtmf', 'continue', 'play', 'record', 'snoop', 'addChannel', 'removeChannel', 'stop', 'silence', 'mute', 'redirect',
  'move', 'externalMedia', 'create', 'dial', 'rtp_statistics', 'sounds', 'events', 'user', 'ping', 'modules', 'logging',
])

/** "POST", "/channels/abc/answer" → "POST /channels/:id/answer". */
export function restKind(method: string, path: string): string {
  const q = path.indexOf('?')
  const p = q < 0 ? path : path.slice(0, q)
  return `${method} ${p.replace(/^\/+/, '').split('/').map((s) => (WORDS.has(s) ? s : ':id')).reduce((a, s) => `${a}/${s}`, '')}`
}

export interface RestCounts {
  pid: number
  total: number
  byTransport: Record<string, number>
  byKind: Record<string, number>
}

class RestCounter {
  readonly enabled: boolean
  private readonly byKind = new Map<string, number>()
  private readonly byTransport = new Map<string, number>()
  private total = 0

  constructor(private readonly file: string | undefined) {
    this.enabled = !!file
    if (file) process.once('exit', () => this.write())
  }

  count(transport: string, method: string, path: string): void {
    this.total++
    const kind = restKind(method, path)
    this.byKind.set(kind, (this.byKind.get(kind) ?? 0) + 1)
    this.byTransport.set(transport, (this.byTransport.get(transport) ?? 0) + 1)
  }

  snapshot(): RestCounts {
    const sorted = [...this.byKind].sort((a, b) => b[1] - a[1])
    return {pid: process.pid, total: this.total, byTransport: Object.fromEntries(this.byTransport), byKind: Object.fromEntries(sorted)}
  }

  private write(): void {
    try {
      writeFileSync(this.file!.replace(/%p/g, String(process.pid)), JSON.stringify(this.snapshot(), null, 2) + '\n')
    } catch {
      // a measurement aid: never the reason a process fails to exit
    }
  }
}

export const restCounter = new RestCounter(process.env.CALLCTL_ARI_REST_COUNT || undefined)
