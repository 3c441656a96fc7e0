import {toConfiguredId, type Command, type Interfaces} from '@oclif/core'
import {closest} from '../engine/util/closest.js'
import {safeText} from '../engine/util/text.js'
import {usageLine} from './usage-error.js'

/**
 * '"agnet list" is not a callctl command. Did you mean "agent list"?' for a command id
 * as oclif holds it (agnet:list), shown with spaces as it is typed, and the nearest
 * command or topic when one is a slip away; `suggested` is that one, spelt with spaces.
 */
export function notACommand(config: Interfaces.Config, id: string): {line: string; suggested: string | undefined; topic: string | undefined} {
  const visible = config.commands.filter((c) => !c.hidden).flatMap((c) => [c.id, ...c.aliases])
  const topics = config.topics.filter((t) => !t.hidden).map((t) => t.name)
  const near = closest(id, [...visible, ...topics])
  const suggested = near === undefined ? undefined : toConfiguredId(near, config)
  const first = id.split(':')[0]!
  const line = `"${safeText(toConfiguredId(id, config))}" is not a ${config.bin} command.${suggested === undefined ? '' : ` Did you mean "${suggested}"?`}`
  return {line, suggested, topic: config.findTopic(first) ? first : undefined}
}

/**
 * Words typed after a command that takes no arguments: oclif reads them as more of the
 * command's name (`ticket add 退款未到账` as the command ticket:add:退款未到账) and finds
 * none. When the words before them name a command, they are an unexpected argument of it,
 * said as for a command with arguments (usage-error.ts), exit 2; when the command wants
 * that text in required flags (ticket add -s, kb add -q -a), the hint shows them filled in.
 */
export async function unexpectedArguments(config: Interfaces.Config, id: string): Promise<{line: string; hint: string} | undefined> {
  const parts = id.split(':')
  for (let n = parts.length - 1; n > 0; n--) {
    const found = config.findCommand(parts.slice(0, n).join(':'))
    // A command that is also a topic: the word may be a mistyped subcommand, for the usual answer.
    if (!found || found.hidden || config.commandIDs.some((c) => c.startsWith(`${found.id}:`))) continue
    const cmd = (await found.load()) as Command.Class
    const name = toConfiguredId(found.id, config)
    const extras = typedExtras(id, n) ?? [parts.slice(n).join(':')]
    const shown = extras.map((w) => `"${safeText(w, 80)}"`)
    const line = `Unexpected argument${extras.length > 1 ? 's' : ''} ${shown.join(' ')}. Usage: ${usageLine(config.bin, name, cmd)}`
    const required = Object.entries(cmd.flags ?? {}).filter(([, f]) => f.required && f.type === 'option')
    const hint =
      required.length === extras.length
        ? `Give ${extras.length > 1 ? 'them' : 'it'} as ${required.length > 1 ? 'flags' : 'a flag'}: ${config.bin} ${name} ${required.map(([flag], i) => `--${flag} ${shown[i]}`).join(' ')}`
        : `${config.bin} ${name} --help`
    return {line, hint}
  }
  return undefined
}

/** The words typed after the command's first `n`, as the shell split them; undefined when the command line does not read as the id. */
function typedExtras(id: string, n: number): string[] | undefined {
  const typed = process.argv.slice(2)
  const flag = typed.findIndex((w) => w.startsWith('-'))
  const words = flag === -1 ? typed : typed.slice(0, flag)
  return words.join(':') === id ? words.slice(n) : undefined
}
