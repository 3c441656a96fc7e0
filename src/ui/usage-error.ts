import {Errors, toConfiguredId, type Command} from '@oclif/core'
import {closest} from '../engine/util/closest.js'
import {UserError} from '../engine/util/errors.js'

// oclif answers a missing argument, an extra one or an unknown flag with its error and
// then the command's whole help (60 lines for queue add), so the error scrolls away and
// a script's log fills up. callctl says it in one line with the usage, like any other
// mistake, and points at --help.

/** What oclif's parser throws: its error classes add the arguments or flags at fault. */
type ParseError = Errors.CLIError & {args?: unknown[]; flags?: string[]}

/** Any oclif error out of parsing the command line is a usage mistake. */
export function isParseError(err: unknown): err is ParseError {
  return err instanceof Errors.CLIError
}

export function usageError(err: ParseError, cmd: Command): UserError {
  const ctor = cmd.constructor as Command.Class
  const {bin} = cmd.config
  const id = toConfiguredId(cmd.id ?? '', cmd.config)
  const usage = usageLine(bin, id, ctor)
  return new UserError(`${what(err, ctor)} Usage: ${usage}`, {suggestion: `${bin} ${id} --help`, exitCode: err.oclif?.exit ?? 2, code: 'usage'})
}

function what(err: ParseError, ctor: Command.Class): string {
  const args = err.args ?? []
  if (args.length > 0 && typeof args[0] === 'object') {
    const names = (args as {name: string}[]).map((a) => a.name.toUpperCase())
    return `Missing argument${names.length > 1 ? 's' : ''} ${names.join(' ')}.`
  }
  if (args.length > 0) return `Unexpected argument${args.length > 1 ? 's' : ''} ${args.map((a) => `"${String(a)}"`).join(' ')}.`
  if (err.flags?.length) {
    const known = Object.entries(ctor.flags ?? {}).filter(([, f]) => !f.hidden).map(([name]) => `--${name}`)
    const near = err.flags.length === 1 ? closest(err.flags[0]!.replace(/=.*$/, ''), known) : undefined
    return `Unknown flag${err.flags.length > 1 ? 's' : ''} ${err.flags.join(' ')}.${near ? ` Did you mean ${near}?` : ''}`
  }
  // A bad flag value, a missing required flag: oclif's own words, on one line.
  const lines = stripAnsi(err.message)
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^See more help with --help$/.test(l) && !/^The following errors? occurred:$/.test(l))
  const missing = lines.map((l) => /^Missing required flag (\S+)$/.exec(l)?.[1]).filter((f) => f !== undefined)
  if (missing.length > 0 && missing.length === lines.length) return `Missing required flag${missing.length > 1 ? 's' : ''} ${missing.map((f) => `--${f}`).join(' ')}.`
  // "Parsing --limit" then "Expected an integer but received: x"
  const parsing = /^Parsing (--\S+)$/.exec(lines[0] ?? '')
  const text = parsing ? `${parsing[1]}: ${lines.slice(1).join('; ')}` : lines.join('; ')
  return /[.?!]$/.test(text) ? text : `${text}.`
}

/** "callctl agent add ID --endpoint <value> [flags]": the arguments and required flags; the rest is in --help. */
export function usageLine(bin: string, id: string, ctor: Command.Class): string {
  const args = Object.entries(ctor.args ?? {}).map(([name, a]) => (a.required ? name.toUpperCase() : `[${name.toUpperCase()}]`))
  const required = Object.entries(ctor.flags ?? {}).filter(([, f]) => f.required).map(([name]) => `--${name} <value>`)
  return [bin, id, ...args, ...required, '[flags]'].join(' ')
}

function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\u001b\[[0-9;]*m/g, '')
}
