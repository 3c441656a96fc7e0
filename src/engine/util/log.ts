export type LogLevel = 'debug' | 'info' | 'warn' | 'error'
const ORDER: Record<LogLevel, number> = {debug: 10, info: 20, warn: 30, error: 40}

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void
  info(msg: string, fields?: Record<string, unknown>): void
  warn(msg: string, fields?: Record<string, unknown>): void
  error(msg: string, fields?: Record<string, unknown>): void
}

// Field names whose values are never written anywhere.
const SECRET_KEYS = /pass(word)?|secret|token|api_key|authorization/i

function redact(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(fields)) out[k] = SECRET_KEYS.test(k) ? '[redacted]' : v
  return out
}

/** Line-oriented logger on stderr (stdout belongs to command output and --json). */
export function createLogger(opts: {level?: LogLevel; json?: boolean; write?: (line: string) => void} = {}): Logger {
  const min = ORDER[opts.level ?? (process.env.CALLCTL_LOG_LEVEL as LogLevel | undefined) ?? 'info'] ?? ORDER.info
  const write = opts.write ?? ((line: string) => process.stderr.write(line + '\n'))
  const emit = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[level] < min) return
    const f = fields ? redact(fields) : undefined
    if (opts.json) {
      write(JSON.stringify({ts: new Date().toISOString(), level, msg, ...f}))
      return
    }
    const extra = f && Object.keys(f).length > 0 ? ' ' + Object.entries(f).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ') : ''
    write(`${new Date().toISOString()} ${level.padEnd(5)} ${msg}${extra}`)
  }
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  }
}

export const silentLogger: Logger = {debug() {}, info() {}, warn() {}, error() {}}
