#!/usr/bin/env node
import {execute} from '@oclif/core'

// An error no command caught (a timer's, a socket's) is a bug: its stack and exit 70,
// never Node's plain exit 1 that reads like an ordinary failure.
const bug = (kind) => (err) => {
  process.stderr.write(`callctl: bug (${kind}), please report it:\n${err instanceof Error ? err.stack : String(err)}\n`)
  process.exit(70)
}
process.on('uncaughtException', bug('uncaught exception'))
process.on('unhandledRejection', bug('unhandled rejection'))

await execute({dir: import.meta.url})
