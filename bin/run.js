#!/usr/bin/env node
// NO_COLOR (https://no-color.org), when set and not empty, switches every style off in every
// command, FORCE_COLOR or not. chalk 5 reads only FORCE_COLOR, and Node warns on stderr
// ("The 'NO_COLOR' env is ignored...") when both are set, so FORCE_COLOR becomes 0 here,
// before anything that imports chalk is loaded (and for the processes callctl starts).
if (process.env.NO_COLOR) process.env.FORCE_COLOR = '0'
const {execute} = await import('@oclif/core')

// An error no command caught (a timer's, a socket's) is a bug: its stack and exit 70,
// never Node's plain exit 1 that reads like an ordinary failure.
const bug = (kind) => (err) => {
  process.stderr.write(`callctl: bug (${kind}), please report it:\n${err instanceof Error ? err.stack : String(err)}\n`)
  process.exit(70)
}
process.on('uncaughtException', bug('uncaught exception'))
process.on('unhandledRejection', bug('unhandled rejection'))

await execute({dir: import.meta.url})
