import {Args, Flags} from '@oclif/core'
import {withStore} from '../../engine/config/open-store.js'
import {loadPromptBook} from '../../engine/front-door.js'
import {validateFlowFile, type ValidationReport} from '../../engine/ivr/flow-service.js'
import {callctlPaths} from '../../engine/util/paths.js'
import {safeText} from '../../engine/util/text.js'
import {CallctlCommand} from '../../ui/command.js'

export default class IvrValidate extends CallctlCommand<ValidationReport> {
  static summary = 'Check an IVR flow file: node types, targets, reachability, loops, prompts, queues'
  static description = `Every problem is printed as FILE:LINE:COLUMN: message. Exit 0 when valid, 2 when not.

A flow (YAML):
  flow: main
  language: en
  timezone: Asia/Shanghai
  start: welcome
  calendars:
    office: {open: {mon-fri: "09:00-18:00"}, closed: [2026-10-01]}
  survey: {prompt: survey-ask}
  nodes:
    welcome: {type: play, prompt: welcome, next: hours}
    hours:   {type: hours, calendar: office, open: menu, closed: closed-msg}
    menu:    {type: menu, prompt: main-menu, choices: {"1": sales, "2": support}, timeout: 5, retries: 2, onTimeout: support}
    sales:   {type: queue, queue: sales}
    support: {type: queue, queue: support, skills: "english"}
    closed-msg: {type: hangup, prompt: sound:vm-nobodyavail}

Node types: play, menu, collect, hours, holiday, set, lookup, branch, queue, voicemail, transfer, goto, hangup.`
  static examples = ['<%= config.bin %> ivr validate flows/main.yaml']
  static args = {file: Args.string({description: 'flow file (YAML)', required: true})}
  static flags = {config: Flags.string({char: 'c', description: 'config file (YAML)'})}

  protected async execute(): Promise<ValidationReport> {
    const {args, flags} = await this.parse(IvrValidate)
    const {report} = await withStore(flags.config, async (store) => validateFlowFile(args.file, await loadPromptBook(store, callctlPaths()), store))
    if (!report.valid) process.exitCode = 2
    return report
  }

  protected render(r: ValidationReport): void {
    if (r.valid) this.print(`${safeText(r.file)}: valid flow "${safeText(r.flow)}" with ${r.nodes} nodes.`)
    for (const e of r.errors) {
      process.stderr.write(`${safeText(r.file)}${e.line ? `:${e.line}:${e.column}` : ''}: ${safeText(e.message, 500)}\n`)
      if (e.suggestion) process.stderr.write(`  Try: ${safeText(e.suggestion, 500)}\n`)
    }
    for (const n of r.notes) this.print(`Note: ${n}`)
  }
}
