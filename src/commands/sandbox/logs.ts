import {Flags} from '@oclif/core'
import {createReadStream, existsSync, statSync, watchFile} from 'node:fs'
import {proxyLog, sandboxLogFile, tailLines} from '../../engine/sandbox/sandbox.js'
import {callctlPaths} from '../../engine/util/paths.js'
import {safeText} from '../../engine/util/text.js'
import {CallctlCommand} from '../../ui/command.js'

interface LogsResult {
  file: string
  lines: string[]
  followed: boolean
}

export default class SandboxLogs extends CallctlCommand<LogsResult> {
  static summary = "Print the sandbox Asterisk's log (messages.log)"
  static examples = ['<%= config.bin %> sandbox logs -n 50', '<%= config.bin %> sandbox logs --follow', '<%= config.bin %> sandbox logs --box box2', '<%= config.bin %> sandbox logs --proxy']
  static flags = {
    lines: Flags.integer({char: 'n', description: 'number of lines', default: 40, min: 1}),
    follow: Flags.boolean({char: 'f', description: 'keep printing new lines'}),
    box: Flags.string({description: 'which box (default box1)', default: 'box1'}),
    proxy: Flags.boolean({description: "the proxy's log (Kamailio) instead", exclusive: ['box']}),
  }

  protected async execute(): Promise<LogsResult> {
    const {flags} = await this.parse(SandboxLogs)
    const file = flags.proxy ? proxyLog(callctlPaths()) : sandboxLogFile(callctlPaths(), flags.box)
    const lines = tailLines(file, flags.lines)
    if (flags.follow && !this.jsonEnabled()) {
      for (const l of lines) this.print(safeText(l, 4000))
      await follow(file, (l) => this.print(safeText(l, 4000)))
    }
    return {file, lines, followed: flags.follow}
  }

  protected render(r: LogsResult): void {
    if (r.followed) return // printed as it went
    for (const l of r.lines) this.print(safeText(l, 4000))
  }
}

function follow(file: string, onLine: (l: string) => void): Promise<void> {
  let pos = existsSync(file) ? statSync(file).size : 0
  let partial = ''
  return new Promise(() => {
    watchFile(file, {interval: 500}, (cur) => {
      if (cur.size < pos) pos = 0 // rotated
      if (cur.size === pos) return
      const s = createReadStream(file, {start: pos, end: cur.size - 1, encoding: 'utf8'})
      pos = cur.size
      s.on('data', (chunk) => {
        const parts = (partial + String(chunk)).split('\n')
        partial = parts.pop() ?? ''
        for (const p of parts) onLine(p)
      })
    })
  })
}
