import {Flags} from '@oclif/core'
import {engineStatus, type EngineStatusResult} from '../../engine/engine-status.js'
import {CallctlCommand} from '../../ui/command.js'
import {fields} from '../../ui/render.js'
import {duration} from '../../ui/dashboard/format.js'

export default class EngineStatus extends CallctlCommand<EngineStatusResult> {
  static summary = 'Show the running engine: pid, uptime, its link to Asterisk, calls, agents and API address'
  static description = 'Exit code 0 when an engine answers, 3 when none runs (like sandbox status), so scripts and health checks can test it.'
  static examples = ['<%= config.bin %> engine status', '<%= config.bin %> engine status --json']
  static flags = {
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  protected async execute(): Promise<EngineStatusResult> {
    const {flags} = await this.parse(EngineStatus)
    const s = await engineStatus(flags.config)
    if (!s.running) process.exitCode = 3
    return s
  }

  protected render(s: EngineStatusResult): void {
    if (!s.running) {
      this.print(fields({running: 'no', app: s.app, why: s.reason, ...(s.lockedBy ? {'lock held by pid': s.lockedBy} : {})}))
      return
    }
    this.print(fields(statusFields(s, Date.now())))
  }
}

/** The running engine's fields as `engine status` prints them, at `now`. */
export function statusFields(s: Extract<EngineStatusResult, {running: true}>, now: number): Record<string, string | number> {
  const l = s.link
  const standby = s.role === 'standby'
  const down = s.boxes && s.boxes.length > 0 && s.boxes.every((b) => !b.up) ? s.boxes : null
  const link = standby
    ? 'not connected (a standby leaves Asterisk to the leader)'
    : down
      ? `no box answers (${down.map((b) => `${b.name} down ${duration(now - (b.downSince ?? now))}`).join(', ')})`
      : l.state === 'connected'
        ? `connected to ${l.url} for ${duration(now - l.since)}`
        : `${l.state.toUpperCase()}: ${l.url} ${l.state === 'unreachable' ? `for ${duration(now - l.since)}, ${l.attempts} attempts (${l.error ?? 'no answer'})` : ''}`.trim()
  const leader = s.leader ? `${s.leader.holder ?? 'nobody'} leads${s.leader.api ? ` at ${s.leader.api}` : ''}` : 'no leader seen yet'
  return {
    running: standby ? 'yes, standing by' : s.serving ? 'yes' : 'starting (waiting for Asterisk)',
    ...(s.role ? {role: s.role === 'leader' ? `leader (epoch ${s.epoch})` : `standby, ${s.databaseDown ? `last seen: ${leader}` : leader}`} : {}),
    pid: s.pid,
    uptime: duration(s.uptimeS * 1000),
    asterisk: link,
    ...(s.boxes ? {boxes: s.boxes.map((b) => `${b.name} ${b.up ? 'up' : `DOWN for ${duration(now - (b.downSince ?? now))}`}`).join(', ')} : {}),
    app: s.app,
    api: s.api,
    ...(s.chat ? {chat: `${s.chat}/chat/`} : {}),
    database: s.databaseDown ? `${s.database} DOES NOT ANSWER for ${duration(now - s.databaseDown.since)} (${s.databaseDown.error})` : s.database,
    // A standby has no calls or agents of its own: the leader's are the center's.
    ...(standby
      ? {}
      : {calls: s.liveCalls, agents: `${s.agents.loggedIn} logged in of ${s.agents.total}: ${s.agents.idle} idle, ${s.agents.busy} busy, ${s.agents.paused} paused`}),
    'unwritten events': s.pendingEvents,
    'refused API requests': s.unauthorizedRequests,
    version: s.version,
  }
}
