import {Args, Flags} from '@oclif/core'
import {withStore} from '../../engine/config/open-store.js'
import {loadPromptBook} from '../../engine/front-door.js'
import {dryRun, type DryRunResult} from '../../engine/ivr/dry-run.js'
import {validateFlowFile} from '../../engine/ivr/flow-service.js'
import {FlowInvalidError} from '../../engine/ivr/parse-flow.js'
import {ConfigError} from '../../engine/config/yaml-errors.js'
import {UserError} from '../../engine/util/errors.js'
import {callctlPaths} from '../../engine/util/paths.js'
import {safeText} from '../../engine/util/text.js'
import {CallctlCommand} from '../../ui/command.js'

export default class IvrTest extends CallctlCommand<DryRunResult> {
  static summary = 'Walk an IVR flow without Asterisk: give the keys and the time, see the path and where the call ends'
  static description = 'Each --dtmf item answers one question (menu or collect) in order; "-" is silence (a timeout).'
  static examples = [
    '<%= config.bin %> ivr test flows/main.yaml --dtmf 1,2 --at "2026-11-23T20:00+08:00"',
    '<%= config.bin %> ivr test flows/main.yaml --dtmf -,-,- --caller +8613800138000 --tier VIP --json',
  ]
  static args = {file: Args.string({description: 'flow file (YAML)', required: true})}
  static flags = {
    dtmf: Flags.string({description: 'keys per question, comma separated ("-" = no key)', default: ''}),
    at: Flags.string({description: 'time of the call (ISO 8601 with offset); default now'}),
    caller: Flags.string({description: 'caller number', default: ''}),
    did: Flags.string({description: 'dialled number', default: ''}),
    tier: Flags.string({description: 'pretend the caller is a contact with this tier (VIP is a VIP)'}),
    language: Flags.string({description: 'the contact\'s language'}),
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  protected async execute(): Promise<DryRunResult> {
    const {args, flags} = await this.parse(IvrTest)
    const at = flags.at ? new Date(flags.at) : new Date()
    if (Number.isNaN(at.getTime())) throw new UserError(`Invalid --at "${flags.at}"`, {suggestion: 'Use ISO 8601 with an offset, e.g. 2026-11-23T20:00+08:00', exitCode: 2})
    if (flags.dtmf && !/^[0-9*#,\- ]*$/.test(flags.dtmf)) throw new UserError(`Invalid --dtmf "${flags.dtmf}"`, {suggestion: 'Keys 0-9 * #, comma between questions, - for silence.', exitCode: 2})
    const {flow, report} = await withStore(flags.config, async (store) => validateFlowFile(args.file, await loadPromptBook(store, callctlPaths()), store))
    if (!flow) throw new FlowInvalidError(report.errors.map((e) => new ConfigError(args.file, e.line, e.column, e.message, e.suggestion ?? undefined)))
    const contact = flags.tier || flags.language ? {name: 'Test Caller', tier: flags.tier ?? '', vip: /^vip$/i.test(flags.tier ?? ''), language: flags.language ?? '', company: '', notes: ''} : null
    return dryRun(flow, {inputs: flags.dtmf ? flags.dtmf.split(',').map((s) => s.trim()) : [], at, caller: {number: flags.caller, name: ''}, did: flags.did, contact})
  }

  protected render(r: DryRunResult): void {
    this.print(`Flow ${safeText(r.flow)} at ${r.at}:`)
    for (const s of r.steps) {
      const extra = [s.prompts?.length ? `plays ${s.prompts.join(' ')}` : '', s.keys ? `keys ${s.keys}` : '', s.result ? `→ ${s.result}` : ''].filter(Boolean).join('; ')
      this.print(`  ${safeText(s.node).padEnd(16)} ${s.kind.padEnd(9)} ${safeText(extra, 200)}`)
    }
    const o = r.outcome
    const end = o.action === 'queue' ? `queue ${o.queue} (priority ${o.priority}${o.skills ? `, skills ${o.skills}` : ''}${o.tags.length ? `, tags ${o.tags.join(',')}` : ''})` : o.action === 'transfer' ? `transfer to ${o.number}` : o.action === 'hangup' ? `hangup (${o.reason})` : 'voicemail'
    this.print(`Ends: ${safeText(end)}`)
    if (r.keyTrail.length) this.print(`Key trail: ${safeText(r.keyTrail.join(' '))}`)
    if (r.unusedInputs.length) this.print(`Unused keys: ${safeText(r.unusedInputs.join(','))}`)
  }
}
