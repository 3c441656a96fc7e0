import {CommandHelp, Errors, Help, type Command} from '@oclif/core'
import {expandHelpPaths} from '../engine/util/paths.js'
import {notACommand} from './not-a-command.js'

/**
 * oclif's help with descriptions that read whole. Descriptions are written as wrapped
 * source text; oclif keeps every newline and wraps again at the terminal's width, so a
 * sentence broke wherever the source line ended ("…CALLCTL_* environment" / "variables;
 * …"). Here a paragraph's lines are joined before oclif wraps it: blank lines still part
 * paragraphs, and indented lines (a file's content shown as an example, a table) stay
 * lines, and keep their indentation, which oclif's wrapping trimmed (the YAML example of
 * kb import lost the indentation that makes it YAML).
 */
export default class CallctlHelp extends Help {
  protected override CommandHelpClass = DescriptionHelp

  /** `callctl help agnet list`: the one-line "did you mean" of a mistyped command, not oclif's "Command agnet:list not found.". */
  override async showHelp(argv: string[]): Promise<void> {
    try {
      await super.showHelp(argv)
    } catch (err) {
      const id = err instanceof Error ? /^Command (\S+) not found\.$/.exec(err.message)?.[1] : undefined
      if (id === undefined) throw err
      const {line, suggested} = notACommand(this.config, id)
      process.stderr.write(`Error: ${line}\n  Try: ${this.config.bin} help${suggested === undefined ? '' : ` ${suggested}`}\n`)
      Errors.exit(2)
    }
  }

  override formatCommand(command: Command.Loadable): string {
    return super.formatCommand(withPaths({...command, description: reflow(command.description)} as Command.Loadable))
  }

  protected override summary(command: Command.Loadable): string | undefined {
    return super.summary(withPaths(command))
  }
}

class DescriptionHelp extends CommandHelp {
  private inDescription = false

  protected override description(): string | undefined {
    this.inDescription = true
    try {
      return super.description()
    } finally {
      this.inDescription = false
    }
  }

  override wrap(body: string, spacing = this.indentSpacing): string {
    if (!this.inDescription) return super.wrap(body, spacing)
    return body
      .split('\n')
      .map((line) => {
        const indent = /^ +/.exec(line)?.[0] ?? ''
        if (!indent) return super.wrap(line, spacing)
        return super.wrap(line.slice(indent.length), spacing + indent.length).split('\n').map((l) => indent + l).join('\n')
      })
      .join('\n')
  }
}

export function reflow(text: string | undefined): string | undefined {
  if (text === undefined) return undefined
  const out: string[] = []
  for (const line of text.split('\n')) {
    const prev = out.at(-1)
    const joins = prev !== undefined && prev.trim() !== '' && !/^\s/.test(prev) && line.trim() !== '' && !/^\s/.test(line)
    if (joins) out[out.length - 1] = `${prev} ${line}`
    else out.push(line)
  }
  return out.join('\n')
}

/** The command's help texts with the paths of this run (CALLCTL_HOME…) in place of their tokens. */
function withPaths(command: Command.Loadable): Command.Loadable {
  const fill = (t: string | undefined) => (t === undefined ? undefined : expandHelpPaths(t))
  const flags = Object.fromEntries(Object.entries(command.flags ?? {}).map(([k, f]) => [k, {...f, description: fill(f.description), summary: fill(f.summary)}]))
  return {...command, summary: fill(command.summary), description: fill(command.description), flags} as Command.Loadable
}
