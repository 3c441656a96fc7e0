import type {Hook} from '@oclif/core'
import askDidYouMean from '@oclif/plugin-not-found'
import {jsonText} from '../../engine/util/json-text.js'
import {notACommand, unexpectedArguments} from '../not-a-command.js'

/**
 * A mistyped command. At a terminal, oclif's not-found plugin asks "Did you mean …?" and
 * runs the answer. Anywhere else (cron, scripts, CI) nobody can answer: the plugin would
 * print two lines without the suggestion, so this prints the usual one-line error with
 * it and exits 127, the shell's "command not found". The plugin is not listed in
 * oclif.plugins because its hook would then run beside this one and print twice.
 */
const hook: Hook.CommandNotFound = async function (opts) {
  const {config} = opts
  const extra = await unexpectedArguments(config, opts.id)
  if (extra) {
    // A real command with a word too many (ticket add 退款未到账): its usage, exit 2, as for any command's extra argument.
    if (process.argv.slice(2).includes('--json')) process.stdout.write(jsonText({error: {code: 'usage', message: extra.line, suggestion: extra.hint}}) + '\n')
    else process.stderr.write(`Error: ${extra.line}\n  Try: ${extra.hint}\n`)
    return this.exit(2)
  }
  if (process.stdin.isTTY && process.stdout.isTTY) return askDidYouMean.call(this, opts)
  const {line, suggested, topic} = notACommand(config, opts.id)
  const hint = suggested !== undefined ? `${config.bin} ${suggested} --help` : topic !== undefined ? `${config.bin} help ${topic}` : `${config.bin} help`
  // A script that asked for --json reads the error as every other command gives it.
  if (process.argv.slice(2).includes('--json')) process.stdout.write(jsonText({error: {code: 'command_not_found', message: line, suggestion: hint}}) + '\n')
  else process.stderr.write(`Error: ${line}\n  Try: ${hint}\n`)
  this.exit(127)
}

export default hook
