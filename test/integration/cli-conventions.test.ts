import Database from 'better-sqlite3'
import {chmodSync, existsSync, mkdtempSync, readdirSync, statSync, writeFileSync} from 'node:fs'
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
    const j = await runCli(['agnet', 'list', '--json'], env(), 15_000)
    expect(j.code).toBe(127)
    expect(JSON.parse(j.stdout)).toEqual({error: {code: 'command_not_found', message: '"agnet list" is not a callctl command. Did you mean "agent list"?', suggestion: 'callctl agent list --help'}})
    const help = await runCli(['help', 'agnet', 'list'], env(), 15_000)
    expect(help.code).toBe(2)
    expect(help.stderr).toBe('Error: "agnet list" is not a callctl command. Did you mean "agent list"?\n  Try: callctl help agent list\n')
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
    // -h as well as --help (it was an unknown flag, answered with the whole help on stderr).
    const short = await runCli(['queue', 'add', '-h'], env())
    expect(short.code).toBe(0)
    expect(short.stdout).toContain('$ callctl queue add NAME')
    const bash = await runCli(['autocomplete', 'bash'], env())
    expect(bash.code).toBe(0)
    expect(bash.stdout).toContain('callctl autocomplete script bash')
    const script = await runCli(['autocomplete', 'script', 'bash'], env())
    expect(script.code).toBe(0)
    expect(script.stdout).toContain('CALLCTL_AC_BASH_SETUP_PATH')
  })

  it('NO_COLOR switches every style off in every command, FORCE_COLOR or not, and Node says nothing of it', async () => {
    const e = env()
    expect((await runCli(['queue', 'add', 'sales', '--did', '100'], e)).code).toBe(0)
    // FORCE_COLOR alone styles even a pipe: the header is bold.
    const forced = await runCli(['queue', 'list'], {...e, FORCE_COLOR: '1'})
    expect(forced.stdout).toContain('\u001b[1mQUEUE')
    const both = await runCli(['queue', 'list'], {...e, FORCE_COLOR: '1', NO_COLOR: '1'})
    expect(both.code).toBe(0)
    expect(both.stdout).not.toContain('\u001b')
    expect(both.stdout.split('\n')[0]!.split(/\s{2,}/)[0]).toBe('QUEUE')
    // Node's own "The 'NO_COLOR' env is ignored due to the 'FORCE_COLOR' env being set."
    expect(both.stderr).toBe('')
  })

  it('queue remove is refused while a deployed IVR flow or another queue\'s overflow sends callers to it; --force removes it', async () => {
    const e = env()
    const flow = join(e.CALLCTL_HOME, 'f2.yaml')
    writeFileSync(flow, 'flow: f2\nstart: q\nnodes:\n  q:\n    type: queue\n    queue: pq1\n')
    expect((await runCli(['queue', 'add', 'pq1'], e)).code).toBe(0)
    expect((await runCli(['queue', 'add', 'pq2'], e)).code).toBe(0)
    expect((await runCli(['queue', 'add', 'pq3', '--overflow', 'queue:pq1', '--max-wait', '5'], e)).code).toBe(0)
    const deployed = await runCli(['ivr', 'deploy', flow, '--did', '7000'], e)
    expect(deployed.code, deployed.stderr).toBe(0)
    const refused = await runCli(['queue', 'remove', 'pq1'], e)
    expect(refused.code).toBe(1)
    expect(refused.stdout).toBe('')
    expect(refused.stderr).toBe(
      "Error: Queue pq1 is where flow f2 (node q) on DID 7000, queue pq3's overflow send callers: removing it would reject them\n" +
        '  Try: Deploy a flow or set an overflow without pq1 first (callctl ivr deploy FILE --did DID; callctl queue add Q --update --overflow ...), or remove it anyway with --force\n',
    )
    // A queue nothing sends callers to goes as before; --force overrides.
    expect((await runCli(['queue', 'remove', 'pq2'], e)).code).toBe(0)
    const forced = await runCli(['queue', 'remove', 'pq1', '--force'], e)
    expect(forced.code, forced.stderr).toBe(0)
    expect(forced.stdout).toBe('Queue pq1 removed.\n')
  })

  it('an unknown agent gets a way out it can take: --sip for an id, the id rule for a name typed in its place (王芳)', async () => {
    const e = env()
    const [id, name] = await Promise.all([runCli(['agent', 'login', 'nope'], e), runCli(['agent', 'login', '王芳'], e)])
    expect(id.code).toBe(1)
    // Not --endpoint PJSIP/nope: nothing would ring it unless a phone is provisioned.
    expect(id.stderr).toBe('Error: Agent "nope" does not exist. Existing agents: (none)\n  Try: Add it with: callctl agent add nope --sip (a phone callctl provisions), or --endpoint DIAL-STRING for a phone of your own\n')
    expect(name.code).toBe(1)
    // Not "agent add 王芳", which the id rule refuses.
    expect(name.stderr).toBe('Error: Agent "王芳" does not exist. Existing agents: (none)\n  Try: Agent ids are ASCII (e.g. 1001; the person\'s name goes in --name): see callctl agent list\n')
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
      // A command with no arguments: oclif reads the word as more of the command's name (it said "not a callctl command", exit 127).
      [['queue', 'list', 'sales'], 'Error: Unexpected argument "sales". Usage: callctl queue list [flags]\n  Try: callctl queue list --help\n'],
      [['ticket', 'add', '退款未到账', '-p', 'high'], 'Error: Unexpected argument "退款未到账". Usage: callctl ticket add --subject <value> [flags]\n  Try: Give it as a flag: callctl ticket add --subject "退款未到账"\n'],
      [['kb', 'add', '退款多久到账', '3-5个工作日'], 'Error: Unexpected arguments "退款多久到账" "3-5个工作日". Usage: callctl kb add --question <value> --answer <value> [flags]\n  Try: Give them as flags: callctl kb add --question "退款多久到账" --answer "3-5个工作日"\n'],
      [['report', 'calls'], 'Error: Missing required flags --from --to. Usage: callctl report TYPE --from <value> --to <value> [flags]\n  Try: callctl report --help\n'],
      [['recordings', 'list', '--limit', 'x'], 'Error: --limit: Expected an integer but received: x. Usage: callctl recordings list [flags]\n  Try: callctl recordings list --help\n'],
    ]
    for (const [args, stderr] of cases) {
      const r = await runCli(args, env())
      expect({args, code: r.code, stderr: r.stderr}).toEqual({args, code: 2, stderr})
    }
  })

  it('an unknown --queue or --agent is an error naming the known ones, exit 1, in every command that takes one', async () => {
    const e = env()
    for (const args of [['queue', 'add', 'sales'], ['queue', 'add', 'support'], ['agent', 'add', '1001', '--endpoint', 'PJSIP/1001', '--queue', 'sales']]) expect((await runCli(args, e)).code).toBe(0)
    const queue = (name: string, near = '') => `Error: Queue "${name}" does not exist. Existing queues: sales, support\n  Try: ${near}List queues with: callctl queue list\n`
    const agent = (name: string, history = '') => `Error: Agent "${name}" does not exist${history}. Existing agents: 1001\n  Try: List agents with: callctl agent list\n`
    const cases: [string[], string][] = [
      [['agent', 'list', '--queue', 'salse'], queue('salse', 'Did you mean "sales"? ')],
      [['recordings', 'list', '--queue', 'nosuch'], queue('nosuch').replace('exist.', 'exist (nor in the event log).')],
      [['recordings', 'list', '--agent', '1002', '--since', '1h'], agent('1002', ' (nor in the event log for that period)')],
      // These talk to the engine, none runs here: the name is checked first, with the list.
      [['agent', 'ready', '1002'], agent('1002')],
      [['agent', 'wrapup', '1002'], agent('1002')],
      [['agent', 'logout', '1001', '--queue', 'nosuch'], queue('nosuch')],
      [['call', 'dial', '+8613800138000', '--agent', '1002'], agent('1002')],
      [['call', 'transfer', 'call-x', '--to-queue', 'suport'], queue('suport', 'Did you mean "support"? ')],
      [['monitor', '1002', '--from', 'PJSIP/2001'], agent('1002')],
    ]
    for (const [args, stderr] of cases) {
      const r = await runCli(args, e)
      expect({args, code: r.code, stderr: r.stderr}).toEqual({args, code: 1, stderr})
    }
    const j = await runCli(['agent', 'list', '--queue', 'nosuch', '--json'], e)
    expect(j.code).toBe(1)
    expect(JSON.parse(j.stdout)).toMatchObject({error: {code: 'unknown_queue'}})
  })

  it('a report for an unknown queue or agent exits 1 before writing a file; a queue removed since still reports the period it was in the log', async () => {
    const e = env()
    const out = mkdtempSync(join(tmpdir(), 'callctl-conv-out-'))
    expect((await runCli(['queue', 'add', 'sales'], e)).code).toBe(0)
    const q = await runCli(['report', 'queues', '--from', 'today', '--to', 'now', '--queue', 'salse', '--out', join(out, 'q.csv')], e)
    expect(q.code).toBe(1)
    expect(q.stderr).toBe('Error: Queue "salse" does not exist (nor in the event log for that period). Existing queues: sales\n  Try: Did you mean "sales"? List queues with: callctl queue list\n')
    const a = await runCli(['report', 'agents', '--from', 'today', '--to', 'now', '--agent', '1001'], e)
    expect(a.code).toBe(1)
    expect(a.stdout).toBe('')
    expect(a.stderr).toContain('Error: Agent "1001" does not exist (nor in the event log for that period). Existing agents: (none)')
    expect(readdirSync(out)).toEqual([])
    // Removed today: its events are today's, so today's report runs; a year it never saw does not.
    expect((await runCli(['queue', 'add', 'old'], e)).code).toBe(0)
    expect((await runCli(['queue', 'remove', 'old'], e)).code).toBe(0)
    const past = await runCli(['report', 'queues', '--from', 'today', '--to', 'now', '--queue', 'old', '--out', join(out, 'old.csv')], e)
    expect(past.code).toBe(0)
    expect(existsSync(join(out, 'old.csv'))).toBe(true)
    const before = await runCli(['report', 'queues', '--from', '2020-01-01', '--to', '2020-01-02', '--queue', 'old'], e)
    expect(before.code).toBe(1)
    expect(before.stderr).toContain('Error: Queue "old" does not exist (nor in the event log for that period). Existing queues: sales')
  })

  it('help names the files under CALLCTL_HOME, not the default ~/.callctl', async () => {
    const h = home()
    const start = await runCli(['engine', 'start', '--help'], {CALLCTL_HOME: h})
    expect(start.code).toBe(0)
    expect(start.stdout.replace(/\s+/g, ' ')).toContain(`default ${h}/config.yaml`)
    expect(start.stdout).not.toContain('~/.callctl')
    const board = await runCli(['dashboard', '--help'], {CALLCTL_HOME: h})
    expect(board.stdout.replace(/\s+/g, ' ')).toContain(`${h}/dashboard.yaml`)
  })

  it('the database, its WAL and shared-memory files and its backups are 0640 under umask 022; an old 0644 one loses the world bit', async () => {
    const e = env()
    const db = join(e.CALLCTL_HOME, 'callctl.db')
    const mode = (f: string) => (statSync(f).mode & 0o777).toString(8)
    const old = process.umask(0o022) // the CLI inherits it
    try {
      expect((await runCli(['queue', 'add', 'sales'], e)).code).toBe(0)
      expect(mode(db)).toBe('640')
      // Open as the engine keeps it: SQLite makes -wal and -shm with the database's mode.
      const open = new Database(db)
      open.pragma('journal_mode = WAL')
      open.prepare("INSERT INTO events (ts, type) VALUES (1, 'queue.added')").run()
      expect([mode(`${db}-wal`), mode(`${db}-shm`)]).toEqual(['640', '640'])
      open.close()
      const backup = join(e.CALLCTL_HOME, 'copy.db')
      expect((await runCli(['db', 'backup', backup], e)).code).toBe(0)
      expect(mode(backup)).toBe('640')
      chmodSync(db, 0o644)
      expect((await runCli(['queue', 'list'], e)).code).toBe(0)
      expect(mode(db)).toBe('640')
    } finally {
      process.umask(old)
    }
  })

  it('help descriptions read whole: no line ends where the next word would still have fit (a sentence cut at a source line)', async () => {
    // Every command whose description spans several source lines.
    const commands = ['engine start', 'report', 'contacts import', 'sandbox up', 'recordings purge', 'events', 'agent list', 'simulate', 'recordings export', 'kb import', 'call transfer', 'api schema', 'agent logout']
    const width = 80 // oclif's width when stdout is not a terminal
    for (const c of commands) {
      const r = await runCli([...c.split(' '), '--help'], env())
      expect(r.code).toBe(0)
      const section = r.stdout.split('\nDESCRIPTION\n')[1]!.split(/\n(?=[A-Z]+\n)/)[0]!
      const lines = section.split('\n')
      const cut: string[] = []
      for (let i = 1; i < lines.length; i++) {
        const [prev, line] = [lines[i - 1]!, lines[i]!]
        // Indented lines (a file shown as an example, a table of report types) are lines of their own.
        const own = (l: string) => /^ {3,}/.test(l)
        if (!prev.trim() || !line.trim() || own(prev) || own(line)) continue
        const word = line.trim().split(' ')[0]!
        if (prev.length + 1 + word.length <= width) cut.push(`${c}: "${prev.trim()}" / "${line.trim()}"`)
      }
      expect(cut).toEqual([])
      // The YAML example keeps the indentation that makes it YAML.
      if (c === 'kb import') expect(r.stdout).toContain('    - question: How do I reset my password?\n      answer: Use Forgot password')
    }
  })
})
