import {Flags} from '@oclif/core'
import {withStore} from '../engine/config/open-store.js'
import {EVENT_TYPES, type EventType, type StoredEvent} from '../engine/store/events.js'
import {UserError} from '../engine/util/errors.js'
import {parseTimeInput} from '../engine/util/time-input.js'
import {CallctlCommand} from '../ui/command.js'
import {table} from '../ui/render.js'

export default class Events extends CallctlCommand<StoredEvent[]> {
  static summary = 'Print the event log (every call, agent and admin event), oldest first'
  static description = 'With --json, one JSON object per line, for scripts and log shippers.'
  static examples = ['<%= config.bin %> events --since 10m', '<%= config.bin %> events --since 1h --type call.connected --json', '<%= config.bin %> events --call call-m3x1k-a1b2c3d4e5']
  static flags = {
    since: Flags.string({description: 'from this time: 10m, 2h, today, an ISO date/time', default: '1h'}),
    until: Flags.string({description: 'up to this time (exclusive)'}),
    type: Flags.string({description: `only this event type (repeatable); e.g. ${EVENT_TYPES.slice(0, 4).join(', ')}`, multiple: true}),
    call: Flags.string({description: 'only this call id'}),
    limit: Flags.integer({description: 'at most this many events', min: 1}),
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  protected async execute(): Promise<StoredEvent[]> {
    const {flags} = await this.parse(Events)
    const now = Date.now()
    const since = parseTimeInput(flags.since, now, '--since')
    const until = flags.until ? parseTimeInput(flags.until, now, '--until') : undefined
    if (until !== undefined && until <= since) throw new UserError('--until is not after --since', {suggestion: 'Swap them, or leave out --until.', exitCode: 2})
    for (const t of flags.type ?? []) {
      if (!EVENT_TYPES.includes(t as EventType)) throw new UserError(`Unknown event type "${t}"`, {suggestion: `Event types: ${EVENT_TYPES.join(', ')}`, exitCode: 2})
    }
    return withStore(flags.config, async (store) => {
      const out: StoredEvent[] = []
      for await (const e of store.events({since, until, types: flags.type as EventType[] | undefined, callId: flags.call, limit: flags.limit})) out.push(e)
      return out
    })
  }

  protected override jsonLines(events: StoredEvent[]): readonly unknown[] {
    return events.map((e) => ({...e, time: new Date(e.ts).toISOString()}))
  }

  protected render(events: StoredEvent[]): void {
    if (events.length === 0) return this.print('No events in that period.')
    this.print(
      table(events, [
        {header: 'TIME', get: (e) => new Date(e.ts).toISOString().replace('T', ' ').slice(0, 23)},
        {header: 'TYPE', get: (e) => e.type},
        {header: 'CALL', get: (e) => e.callId ?? ''},
        {header: 'QUEUE', get: (e) => e.queue ?? ''},
        {header: 'AGENT', get: (e) => e.agent ?? ''},
        {header: 'DATA', get: (e) => (Object.keys(e.data).length ? JSON.stringify(e.data) : ''), max: 80},
      ]),
    )
  }
}
