import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {runCli} from '../support/cli.js'

// The CLI's manners, through the real binary with no terminal attached (as cron and
// scripts run it): mistakes are one line and a way out, names are checked, help is whole.
describe('callctl conventions', () => {
  const home = () => mkdtempSync(join(tmpdir(), 'callctl-conv-'))
  // oclif caches (autocomplete) under XDG_CACHE_HOME: keep them out of the user's.
  const env = () => ({CALLCTL_HOME: home(), XDG_CACHE_HOME: home()})

  it('a mistyped command names the command meant, with spaces, in one line, and exits 127 without waiting for an answer', async () => {
    for (const typed of [['agnet:list'], ['agnet', 'list']]) {
      const r = await runCli(typed, env(), 15_000)
      expect(r.code).toBe(127)
      expect(r.stdout).toBe('')
      expect(r.stderr).toBe('Error: "agnet list" is not a callctl command. Did you mean "agent list"?\n  Try: callctl agent list --help\n')
    }
    const far = await runCli(['frobnicate'], env(), 15_000)
    expect(far.code).toBe(127)
    expect(far.stderr).toBe('Error: "frobnicate" is not a callctl command.\n  Try: callctl help\n')
  })

  it('callctl help, help for one command, and shell completion', async () => {
    const all = await runCli(['help'], env())
    expect(all.code).toBe(0)
    for (const t of ['queue', 'agent', 'report', 'autocomplete']) expect(all.stdout).toContain(t)
    const one = await runCli(['help', 'agent', 'add'], env())
    expect(one.code).toBe(0)
    expect(one.stdout).toContain('$ callctl agent add ID')
    const bash = await runCli(['autocomplete', 'bash'], env())
    expect(bash.code).toBe(0)
    expect(bash.stdout).toContain('callctl autocomplete script bash')
    const script = await runCli(['autocomplete', 'script', 'bash'], env())
    expect(script.code).toBe(0)
    expect(script.stdout).toContain('CALLCTL_AC_BASH_SETUP_PATH')
  })

  it('a missing argument is one line with the usage, not the whole help, exit 2', async () => {
    const r = await runCli(['queue', 'add'], env())
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toBe('Error: Missing argument NAME. Usage: callctl queue add NAME [flags]\n  Try: callctl queue add --help\n')
    const j = await runCli(['queue', 'add', '--json'], env())
    expect(j.code).toBe(2)
    expect(JSON.parse(j.stdout)).toEqual({error: {code: 'usage', message: 'Missing argument NAME. Usage: callctl queue add NAME [flags]', suggestion: 'callctl queue add --help'}})
  })

  it('an unknown flag, an extra argument, a missing required flag and a bad value: one line each, exit 2', async () => {
    const cases: [string[], string][] = [
      [['queue', 'add', 'q1', '--ring-timout', '5'], 'Error: Unknown flag --ring-timout. Did you mean --ring-timeout? Usage: callctl queue add NAME [flags]\n  Try: callctl queue add --help\n'],
      [['queue', 'add', 'a', 'b'], 'Error: Unexpected argument "b". Usage: callctl queue add NAME [flags]\n  Try: callctl queue add --help\n'],
      [['report', 'calls'], 'Error: Missing required flags --from --to. Usage: callctl report TYPE --from <value> --to <value> [flags]\n  Try: callctl report --help\n'],
      [['recordings', 'list', '--limit', 'x'], 'Error: --limit: Expected an integer but received: x. Usage: callctl recordings list [flags]\n  Try: callctl recordings list --help\n'],
    ]
    for (const [args, stderr] of cases) {
      const r = await runCli(args, env())
      expect({args, code: r.code, stderr: r.stderr}).toEqual({args, code: 2, stderr})
    }
  })
})
