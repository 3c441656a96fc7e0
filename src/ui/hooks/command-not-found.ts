import {toConfiguredId, type Hook} from '@oclif/core'
import askDidYouMean from '@oclif/plugin-not-found'
import {closest} from '../../engine/util/closest.js'
import {jsonText} from '../../engine/util/json-text.js'
import {safeText} from '../../engine/util/text.js'

/**
 * A mistyped command. At a terminal, oclif's not-found plugin asks "Did you mean …?" and
 * runs the answer. Anywhere else (cron, scripts, CI) nobody can answer: the plugin would
 * print two lines without the suggestion, so this prints the usual one-line error with
 * it and exits 127, the shell's "command not found". The plugin is not listed in
 * oclif.plugins because its hook would then run beside this one and print twice.
 */
const hook: Hook.CommandNotFound = async function (opts) {
  if (process.stdin.isTTY && process.stdout.isTTY) return askDidYouMean.call(this, opts)
  const {config} = opts
  const visible = config.commands.filter((c) => !c.hidden).flatMap((c) => [c.id, ...c.aliases])
  const topics = config.topics.filter((t) => !t.hidden).map((t) => t.name)
  const suggestion = closest(opts.id, [...visible, ...topics])
  const typed = safeText(toConfiguredId(opts.id, config))
  const topic = opts.id.split(':')[0]!
  let line = `"${typed}" is not a ${config.bin} command.`
  let hint = `${config.bin} help`
  if (suggestion !== undefined) {
    const readable = toConfiguredId(suggestion, config)
    line += ` Did you mean "${readable}"?`
    hint = `${config.bin} ${readable} --help`
  } else if (config.findTopic(topic)) {
    hint = `${config.bin} help ${topic}`
  }
  // A script that asked for --json reads the error as every other command gives it.
  if (process.argv.slice(2).includes('--json')) process.stdout.write(jsonText({error: {code: 'command_not_found', message: line, suggestion: hint}}) + '\n')
  else process.stderr.write(`Error: ${line}\n  Try: ${hint}\n`)
  this.exit(127)
}

export default hook
