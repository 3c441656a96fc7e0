import {execFileSync, spawn} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {open} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {BIN, exited, runAll, runCli} from '../support/cli.js'

// `callctl ticket import FILE` is all rows or none. Interrupted (Ctrl-C) it used to end in
// silence; now it says that nothing was imported and still ends by the signal (the shell's
// 130). The file is a pipe the test keeps open: the import cannot finish, whatever the
// machine's speed, so the signal always lands before the write.

const home = mkdtempSync(join(tmpdir(), 'callctl-ticket-interrupt-'))
const env = {CALLCTL_HOME: home}
beforeAll(() => runAll([['ticket', 'add', '-s', 'Existing ticket']], env))
afterAll(() => rmSync(home, {recursive: true, force: true}))

async function tickets(): Promise<{id: string; subject: string; priority: string}[]> {
  const r = await runCli(['ticket', 'list', '--json'], env)
  expect(r.code, r.stderr).toBe(0)
  return (JSON.parse(r.stdout) as {tickets: {id: string; subject: string; priority: string}[]}).tickets
}

function importFrom(file: string) {
  const child = spawn(process.execPath, [BIN, 'ticket', 'import', file], {env: {...process.env, FORCE_COLOR: '0', ...env}, stdio: ['ignore', 'pipe', 'pipe']})
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()))
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()))
  return {child, out: () => ({stdout, stderr})}
}

describe('ticket import interrupted', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal} while the file arrives: one line on stderr, ended by ${signal}, nothing imported`, async () => {
      const fifo = join(home, `tickets-${signal}.csv`)
      execFileSync('mkfifo', [fifo])
      const imp = importFrom(fifo)
      // Opening the pipe for writing returns once the command opened it for reading: its
      // handler is set by then (before it opens the store).
      const died = exited(imp.child).then(() => {
        throw new Error(`the import ended before reading the file: ${JSON.stringify(imp.out())}`)
      })
      const writer = await Promise.race([open(fifo, 'w'), died])
      try {
        await writer.write('id,subject,priority\nT-000001,Changed by the import,high\n,A new ticket,low\n')
        imp.child.kill(signal)
        expect(await exited(imp.child)).toBeNull()
      } finally {
        await writer.close()
      }
      expect(imp.child.signalCode).toBe(signal)
      expect(imp.out()).toEqual({stdout: '', stderr: 'interrupted: nothing was imported\n'})
    })
  }

  it('nothing of the interrupted imports was written; the same rows left alone are, and it exits 0', async () => {
    expect(await tickets()).toMatchObject([{id: 'T-000001', subject: 'Existing ticket', priority: 'normal'}])
    const file = join(home, 'tickets.csv')
    writeFileSync(file, 'id,subject,priority\nT-000001,Changed by the import,high\n,A new ticket,low\n')
    const r = await runCli(['ticket', 'import', file], env)
    expect(r).toMatchObject({code: 0, stderr: ''})
    expect(r.stdout).toMatch(/^Imported 1 new ticket, 1 updated, 0 unchanged from /)
    expect((await tickets()).map((t) => [t.id, t.subject, t.priority]).sort()).toEqual([
      ['T-000001', 'Changed by the import', 'high'],
      ['T-000002', 'A new ticket', 'low'],
    ])
  })
})
