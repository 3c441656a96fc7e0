import {Args, Flags} from '@oclif/core'
import {exportConfiguredRecordings} from '../../engine/recordings/configured-recordings.js'
import type {ExportedRecording} from '../../engine/recordings/recordings.js'
import {UserError} from '../../engine/util/errors.js'
import {CallctlCommand} from '../../ui/command.js'

export default class RecordingsExport extends CallctlCommand<{exported: ExportedRecording[]}> {
  static summary = 'Copy a recording (or every recording of a call) to a file or directory'
  static description = `Files come from Asterisk's spool when it is on this machine, otherwise over ARI. Each
file is written under a temporary name, renamed when complete, and is mode 0640.`
  static examples = [
    '<%= config.bin %> recordings export call-call-m3x1k-a1b2c3d4e5 --out ./call.wav',
    '<%= config.bin %> recordings export --call call-m3x1k-a1b2c3d4e5 --out /srv/audit/',
  ]
  static args = {name: Args.string({description: 'recording name (see recordings list)'})}
  static flags = {
    call: Flags.string({description: 'every recording of this call id'}),
    out: Flags.string({char: 'o', description: 'file, or existing directory', required: true}),
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  protected async execute(): Promise<{exported: ExportedRecording[]}> {
    const {args, flags} = await this.parse(RecordingsExport)
    if (!!args.name === !!flags.call) throw new UserError('Give a recording NAME or --call CALL (one of them)', {suggestion: 'See the names with: callctl recordings list', exitCode: 2})
    const target = args.name ? {name: args.name} : {callId: flags.call}
    return {exported: await exportConfiguredRecordings(flags.config, target, flags.out)}
  }

  protected render(r: {exported: ExportedRecording[]}): void {
    for (const e of r.exported) this.print(`${e.name} → ${e.file} (${e.bytes} bytes, from ${e.from === 'spool' ? "Asterisk's spool" : 'Asterisk over ARI'})`)
  }
}
