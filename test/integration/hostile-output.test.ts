import type {ChildProcess} from 'node:child_process'
import {spawn} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import stringWidth from 'string-width'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {AriHttp} from '../../src/engine/ari/index.js'
import {DEFAULT_QUEUE_SETTINGS} from '../../src/engine/model.js'
import {originateSimCaller} from '../../src/engine/sim/simulator.js'
import type {NewEvent} from '../../src/engine/store/events.js'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'
import {freePort} from '../../src/engine/util/net.js'
import {HOSTILE_STRINGS, rawForbidden, type HostileString} from '../fixtures/hostile-strings.js'
import {BIN, runCli, startCli, startEngineCli, type CliResult} from '../support/cli.js'
import {cliEngineEnv, sandboxCreds} from '../support/harness.js'
import {until} from '../support/wait.js'
import {repositoriesOf} from '../../src/engine/store/repositories.js'
import {dataText} from '../../src/engine/reports/csv-text.js'
import {DEFAULT_SLA} from '../../src/engine/tickets/ticket.js'
import {addTicket, commentTicket} from '../../src/engine/tickets/tickets.js'

// The hostile-string corpus in every place a caller (or a contact record about one) puts
// text, and every command that prints it, as people see it (a pipe and a pseudo-terminal)
// and as scripts read it (--json): no raw control, escape or bidi character comes out,
// Chinese and emoji come out unchanged, and table columns stay in line.

const T0 = Date.UTC(2026, 10, 23, 9, 0, 0)
const DAY = ['--from', '2026-11-23', '--to', '2026-11-24']
// One E.164 number per corpus string: it finds the string's row in any output.
const marker = (i: number) => `+86138${String(i + 1).padStart(8, '0')}`
const covered = new Map<string, Set<string>>()
// What no CSV cell keeps, file or pipe (csv-text.ts): escapes, C0 but tab, LF and CR LF, C1, bidi embeddings/overrides/isolates.
const DATA_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]|\r(?!\n)/

/** The command ran; each corpus string was in its output and checked. */
function cover(command: string, mode: string): void {
  const modes = covered.get(command) ?? new Set<string>()
  modes.add(mode)
  covered.set(command, modes)
}

/** The command as a person sees it on a terminal: under `script`, stdout a pseudo-terminal. */
function runPty(args: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<CliResult> {
  const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`
  const cmd = [process.execPath, BIN, ...args].map(quote).join(' ')
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', cmd, '/dev/null'], {env: {...process.env, FORCE_COLOR: '0', ...env}, stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      // The terminal's own line ends (onlcr); any other CR came from the command.
      resolve({code, stdout: stdout.replaceAll('\r\n', '\n'), stderr: ''})
    })
  })
}

async function ok(r: Promise<CliResult>, what: string): Promise<string> {
  const res = await r
  expect(res.code, `${what}: ${res.stderr}${res.stdout.slice(0, 2000)}`).toBe(0)
  return res.stdout
}

/** Text a person reads: nothing raw, each string's printable text shown, its payload not. */
function expectInert(out: string, what: string, o: {shows?: boolean} = {}): void {
  expect(rawForbidden(out), what).toEqual([])
  expect(out.includes('\r'), `${what}: a carriage return`).toBe(false)
  if (o.shows === false) return
  for (const h of HOSTILE_STRINGS) {
    // Columns cut long text: the start of it is what must show.
    const probe = h.probe ?? (h.shows.length <= 22 ? h.shows : h.shows.slice(0, 12))
    // Runs of spaces as one: the knowledge base folds white space in what it stores.
    expect(out.replace(/ +/g, ' '), `${what}: ${h.id}`).toContain(probe.replace(/ +/g, ' '))
    if (h.hides) expect(out, `${what}: ${h.id}`).not.toContain(h.hides)
  }
}

/** Benign text (Chinese, emoji with joiners, Persian) exactly as it went in. */
function expectBenign(out: string, what: string): void {
  for (const h of HOSTILE_STRINGS.filter((x) => x.benign)) expect(out, `${what}: ${h.id}`).toContain(h.text)
}

/** JSON text: nothing raw, and each string parses back exactly as it went in. */
function expectJson(text: string, what: string, strings: readonly HostileString[] = HOSTILE_STRINGS): unknown[] {
  expect(rawForbidden(text), what).toEqual([])
  expect(text, what).not.toMatch(/[\u200c\u200d]/)
  const values = text.trim().startsWith('{"report"') || !text.includes('\n{') ? [JSON.parse(text)] : text.trim().split('\n').map((l) => JSON.parse(l))
  const all: string[] = []
  const walk = (v: unknown): void => {
    if (typeof v === 'string') all.push(v)
    else if (Array.isArray(v)) v.forEach(walk)
    else if (v && typeof v === 'object') Object.values(v).forEach(walk)
  }
  walk(values)
  // (The long string's first 400 characters: all the knowledge base keeps.)
  for (const h of strings) expect(all.some((s) => s.includes(h.probe ?? h.text.slice(0, 400))), `${what}: ${h.id}`).toBe(true)
  return values
}

/**
 * Every row holding a caller's marker has its `column` value starting at the terminal
 * column the header's starts at, and each marker is on exactly one row.
 */
function expectAligned(out: string, what: string, header: string, column: string, at: (row: string) => number, rowKey = marker): void {
  const lines = out.split('\n')
  const head = lines.find((l) => l.includes(header))
  expect(head, `${what}: header ${header}`).toBeDefined()
  const want = stringWidth(head!.slice(0, head!.indexOf(column)))
  HOSTILE_STRINGS.forEach((h, i) => {
    const rows = lines.filter((l) => l.includes(rowKey(i)))
    expect(rows, `${what}: ${h.id} on one row`).toHaveLength(1)
    const pos = at(rows[0]!)
    expect(pos, `${what}: ${h.id}: no ${column} found in ${rows[0]}`).toBeGreaterThan(0)
    expect(stringWidth(rows[0]!.slice(0, pos)), `${what}: ${h.id}: ${column} column`).toBe(want)
  })
}

const after = (needle: string | RegExp) => (row: string) => {
  const m = typeof needle === 'string' ? row.lastIndexOf(needle) : row.search(needle)
  return m < 0 ? -1 : m + (typeof needle === 'string' ? needle.length - needle.trimStart().length : 1)
}

// After both parts: what was covered, for the record (the task asks for the counts).
afterAll(() => {
  const strings = HOSTILE_STRINGS.length
  const commands = [...covered.keys()]
  const runs = [...covered.values()].reduce((n, m) => n + m.size, 0)
  console.log(`hostile corpus: ${strings} strings × ${commands.length} commands (${runs} command/mode runs, ${strings * runs} string checks): ${commands.map((c) => `${c} [${[...covered.get(c)!].join(', ')}]`).join('; ')}`)
})

describe('hostile caller text through every command that prints it', () => {
  const home = mkdtempSync(join(tmpdir(), 'callctl-hostile-'))
  const env = {CALLCTL_HOME: home}

  beforeAll(async () => {
    // The store as the engine, an import and the admin commands leave it: each string as a
    // caller's name and number, DTMF, a contact's fields, an agent's name, a KB entry,
    // a blacklist reason, a recording's number and error.
    const store = new SqliteStore(join(home, 'callctl.db'))
    await store.saveQueue({name: 'sales', settings: {...DEFAULT_QUEUE_SETTINGS}, createdAt: 0}, {type: 'queue.added', ts: 0, queue: 'sales'})
    const events: NewEvent[] = []
    const {kb, blacklist, contacts} = repositoriesOf(store)
    const at = (sec: number) => T0 + sec * 1000
    for (const [i, h] of HOSTILE_STRINGS.entries()) {
      const call = `h${i}`
      const number = marker(i) + h.text
      const t = i * 60
      const e = (sec: number, type: NewEvent['type'], data: Record<string, unknown>, queue: string | null = 'sales') => events.push({type, ts: at(sec), callId: call, queue, agent: null, data, origin: 'test'})
      e(t, 'call.started', {direction: 'inbound', number, name: h.text, did: '4000'}, null)
      e(t + 1, 'ivr.keys', {flow: 'main', node: 'menu', keys: h.text, result: 'choice'}, null)
      e(t + 2, 'queue.entered', {position: 1, priority: 0})
      e(t + 9, 'queue.abandoned', {waitMs: 7000, position: 1, number})
      e(t + 9, 'call.ended', {cause: 'abandoned'})
      await store.saveAgent({id: `h${i}`, name: h.text, endpoint: `PJSIP/h${i}`, skills: {}, queues: {}, createdAt: 0}, {type: 'agent.added', ts: at(t), agent: `h${i}`})
      // The knowledge base takes up to 500 characters a question.
      await kb.add({question: `hostile ${marker(i)} ${h.text.slice(0, 400)}`, answer: h.text.slice(0, 400), tags: []})
      await blacklist.add({number: marker(i), reason: h.text, until: null}, at(t))
      store.db
        .prepare("INSERT INTO recordings (name, call_id, queue, agent, number, started_at, format, state, error) VALUES (?, ?, 'sales', 'a1', ?, ?, 'wav', 'failed', ?)")
        .run(`rec-h${i}`, call, number, at(t), h.text)
    }
    await contacts.upsertMany(HOSTILE_STRINGS.map((h, i) => ({number: marker(i), name: h.text, tier: h.text, language: 'zh-CN', company: h.text, notes: h.text})))
    // Tickets typed by people or imported from another system: the string as subject (after
    // the marker: a subject is one line of at most 200), description and comment.
    const tickets = {tickets: repositoriesOf(store).tickets, store, sla: DEFAULT_SLA, defaultCountry: 'CN', origin: 'test', now: () => at(0)}
    for (const [i, h] of HOSTILE_STRINGS.entries()) {
      const t = await addTicket(tickets, {subject: `${marker(i)} ${h.text.slice(0, 150)}`, description: h.text, number: marker(i)}, 'test')
      if (h.text.trim()) await commentTicket(tickets, t.id, h.text, 'test')
    }
    await store.appendEvents(events)
    await store.close()
  })

  afterAll(() => rmSync(home, {recursive: true, force: true}))

  it('events: the table and --json', async () => {
    const args = ['events', '--since', '2026-11-23', '--until', '2026-11-24', '--type', 'call.started', '--type', 'ivr.keys']
    for (const [mode, run] of [['pipe', runCli], ['pty', runPty]] as const) {
      const out = await ok(run(args, env), `events (${mode})`)
      // DATA is JSON text: a C0 control is shown as its \u escape, the rest is removed.
      expectInert(out, `events (${mode})`, {shows: false})
      expectBenign(out, `events (${mode})`)
      cover('events', mode)
    }
    expectJson(await ok(runCli([...args, '--json'], env), 'events --json'), 'events --json')
    cover('events', 'json')
  })

  it('report calls, abandoned and queue-log: inert on a terminal, escaped in JSON, in a file without terminal controls and formula-guarded', async () => {
    for (const type of ['calls', 'abandoned']) {
      const pty = await ok(runPty(['report', type, ...DAY], env), `report ${type} (pty)`)
      expectInert(pty, `report ${type} (pty)`)
      expectBenign(pty, `report ${type} (pty)`)
      // One record per caller: a line break in a name does not make a row of its own.
      HOSTILE_STRINGS.forEach((h, i) => expect(pty.split('\n').filter((l) => l.includes(marker(i))), `report ${type} (pty): ${h.id}`).toHaveLength(1))
      cover(`report ${type}`, 'pty')

      expectJson(await ok(runCli(['report', type, ...DAY, '--format', 'json'], env), `report ${type} --format json`), `report ${type} --format json`)
      cover(`report ${type}`, 'json')

      const file = join(home, `${type}.csv`)
      await ok(runCli(['report', type, ...DAY, '--out', file], env), `report ${type} --out`)
      const csv = readFileSync(file, 'utf8')
      // A file keeps what the caller ID said but its terminal controls (`| cut` shows cells
      // raw, csv-text.ts dataText); the formula guard then applies.
      expect(csv, `report ${type} --out`).not.toMatch(DATA_CONTROL)
      for (const h of HOSTILE_STRINGS.filter((x) => !x.text.includes('\ud800'))) expect(csv, `report ${type} --out: ${h.id}`).toContain(dataText(h.text).replaceAll('"', '""'))
      expect(csv).toContain(`"'=HYPERLINK(""http://evil.example"",""x"")"`)
      cover(`report ${type}`, 'file')
    }

    const pty = await ok(runPty(['report', 'queue-log', ...DAY], env), 'report queue-log (pty)')
    expectInert(pty, 'report queue-log (pty)', {shows: false})
    expectBenign(pty, 'report queue-log (pty)')
    cover('report queue-log', 'pty')
    const file = join(home, 'queue_log')
    await ok(runCli(['report', 'queue-log', ...DAY, '--out', file], env), 'report queue-log --out')
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n')
    for (const [mode, text] of [['pty', pty.trimEnd().split('\n')], ['file', lines]] as const) {
      HOSTILE_STRINGS.forEach((h, i) => {
        const entered = text.filter((l) => l.includes('|ENTERQUEUE|') && l.includes(marker(i)))
        // epoch|callid|queue|agent|ENTERQUEUE|url|callerid|position: the caller's '|' and
        // line breaks cannot add a field or a line.
        expect(entered, `queue-log (${mode}): ${h.id}`).toHaveLength(1)
        expect(entered[0]!.split('|'), `queue-log (${mode}): ${h.id}`).toHaveLength(8)
      })
    }
    cover('report queue-log', 'file')
  })

  it('contacts list and contacts lookup', async () => {
    for (const [mode, run] of [['pipe', runCli], ['pty', runPty]] as const) {
      const out = await ok(run(['contacts', 'list'], env), `contacts list (${mode})`)
      expectInert(out, `contacts list (${mode})`)
      expectBenign(out, `contacts list (${mode})`)
      expectAligned(out, `contacts list (${mode})`, 'NUMBER', 'LANG', after('  zh-CN'))
      cover('contacts list', mode)
    }
    expectJson(await ok(runCli(['contacts', 'list', '--json'], env), 'contacts list --json'), 'contacts list --json')
    cover('contacts list', 'json')

    // One lookup per contact, four at a time.
    const looked: string[] = []
    const jsons: string[] = []
    for (let i = 0; i < HOSTILE_STRINGS.length; i += 4) {
      const batch = HOSTILE_STRINGS.slice(i, i + 4).map((_, j) => marker(i + j))
      looked.push(...(await Promise.all(batch.map((n) => ok(runCli(['contacts', 'lookup', n, '--local'], env), `contacts lookup ${n}`)))))
      jsons.push(...(await Promise.all(batch.map((n) => ok(runCli(['contacts', 'lookup', n, '--local', '--json'], env), `contacts lookup ${n} --json`)))))
    }
    expectInert(looked.join('\n'), 'contacts lookup')
    expectBenign(looked.join('\n'), 'contacts lookup')
    HOSTILE_STRINGS.forEach((h, i) => {
      // Key: value lines: the caller's text cannot start a line of its own.
      expect(looked[i]!.trimEnd().split('\n').map((l) => l.split(/\s{2,}/)[0]), h.id).toEqual(['number', 'source', 'name', 'tier', 'vip', 'language', 'company', 'notes'])
      expectJson(jsons[i]!, `contacts lookup --json: ${h.id}`, [h])
    })
    cover('contacts lookup', 'pipe')
    cover('contacts lookup', 'json')
  })

  it('ticket list: the table on a pipe and a terminal, and --json; ticket export: inert on a terminal, in a file without terminal controls and formula-guarded', async () => {
    for (const [mode, run] of [['pipe', runCli], ['pty', runPty]] as const) {
      const out = await ok(run(['ticket', 'list', '--limit', '1000'], env), `ticket list (${mode})`)
      expectInert(out, `ticket list (${mode})`)
      expectBenign(out, `ticket list (${mode})`)
      // One row per ticket: a line break in a subject does not make a row of its own.
      HOSTILE_STRINGS.forEach((h, i) => expect(out.split('\n').filter((l) => l.includes(marker(i))), `ticket list (${mode}): ${h.id}`).toHaveLength(1))
      cover('ticket list', mode)
    }
    expectJson(await ok(runCli(['ticket', 'list', '--limit', '1000', '--json'], env), 'ticket list --json'), 'ticket list --json', HOSTILE_STRINGS.map((h) => ({...h, text: h.text.slice(0, 150)})))
    cover('ticket list', 'json')
    const pty = await ok(runPty(['ticket', 'export'], env), 'ticket export (pty)')
    expect(rawForbidden(pty), 'ticket export (pty)').toEqual([])
    cover('ticket export', 'pty')
    const file = join(home, 'tickets.csv')
    await ok(runCli(['ticket', 'export', '--out', file], env), 'ticket export --out')
    const csv = readFileSync(file, 'utf8')
    expect(csv, 'ticket export --out').not.toMatch(DATA_CONTROL)
    for (const h of HOSTILE_STRINGS.filter((x) => !x.text.includes('\ud800') && !/^[=+\-@\t\r\uff1d\uff0b\uff0d\uff20]/.test(x.text))) expect(csv, `ticket export --out: ${h.id}`).toContain(dataText(h.text).replaceAll('"', '""'))
    expect(csv).toContain(`"'=HYPERLINK(""http://evil.example"",""x"")"`)
    cover('ticket export', 'file')
  })

  it('agent list, kb list, kb search, blacklist list, recordings list', async () => {
    const tables: [string[], string, string, (row: string) => number][] = [
      [['agent', 'list'], 'AGENT', 'ENDPOINT', after(/ PJSIP\/h\d+/)],
      [['kb', 'list'], 'QUESTION', 'UPDATED', after(/ \d{4}-\d\d-\d\d \d\d:\d\d$/)],
      [['blacklist', 'list'], 'NUMBER', 'UNTIL', after(/ always$/)],
      [['recordings', 'list'], 'NAME', 'STATE', after(/ failed: /)],
    ]
    // The knowledge base stores an answer with CR line ends made LF and trimmed (so a
    // trailing BOM goes): that text is what --json must give back.
    const kbStrings = HOSTILE_STRINGS.map((h) => ({...h, text: h.text.slice(0, 400).replace(/\r\n?/g, '\n').trim()}))
    const rowKeys: Record<string, (i: number) => string> = {'agent list': (i) => `PJSIP/h${i} `, 'recordings list': (i) => `rec-h${i} `}
    for (const [args, header, column, at] of tables) {
      const name = args.join(' ')
      for (const [mode, run] of [['pipe', runCli], ['pty', runPty]] as const) {
        const out = await ok(run(args, env), `${name} (${mode})`)
        expectInert(out, `${name} (${mode})`)
        expectBenign(out, `${name} (${mode})`)
        expectAligned(out, `${name} (${mode})`, header, column, at, rowKeys[name])
        cover(name, mode)
      }
      expectJson(await ok(runCli([...args, '--json'], env), `${name} --json`), `${name} --json`, args[0] === 'kb' ? kbStrings : HOSTILE_STRINGS)
      cover(name, 'json')
    }
    const search = ['kb', 'search', 'hostile', '--limit', '50']
    const out = await ok(runCli(search, env), 'kb search')
    // The snippet column shows a match around "hostile": the strings' starts are there.
    expectInert(out, 'kb search', {shows: false})
    expectBenign(out, 'kb search')
    HOSTILE_STRINGS.forEach((h, i) => expect(out, h.id).toContain(marker(i)))
    expectAligned(out, 'kb search', 'ID', 'QUESTION', after(/ hostile \+86/), (i) => `hostile ${marker(i)}`)
    cover('kb search', 'pipe')
    // Search results carry the question, its white space folded to single spaces.
    const questions = HOSTILE_STRINGS.map((h) => ({...h, text: h.text.slice(0, 400).trimEnd().replace(/\s+/g, ' ')}))
    expectJson(await ok(runCli([...search, '--json'], env), 'kb search --json'), 'kb search --json', questions)
    cover('kb search', 'json')
  })
})

describe('hostile caller ID names on live calls: calls and dashboard --once', () => {
  const home = mkdtempSync(join(tmpdir(), 'callctl-hostile-live-'))
  const app = `h${Math.random().toString(36).slice(2, 8)}`
  let env: Record<string, string>
  let engine: {child: ChildProcess; output: () => string} | undefined
  let rest: AriHttp
  const channels: string[] = []
  // Asterisk takes the caller ID name as text up to the first quote; the simulator drops quotes.
  const sent = (h: HostileString) => h.text.replaceAll('"', '')

  beforeAll(async () => {
    env = cliEngineEnv({home, app, apiPort: await freePort()})
    rest = new AriHttp(sandboxCreds())
    const store = new SqliteStore(join(home, 'callctl.db'))
    await store.saveQueue({name: 'hq', settings: {...DEFAULT_QUEUE_SETTINGS}, createdAt: 0}, {type: 'queue.added', ts: 0, queue: 'hq'})
    // Each caller a contact too: the tier column carries contact text.
    await repositoriesOf(store).contacts.upsertMany(HOSTILE_STRINGS.map((h, i) => ({number: marker(i), name: h.text, tier: h.text.slice(0, 40), language: 'zh'})))
    await store.close()
    engine = await startEngineCli(env)
    // Callers wait in the queue (no agent): long patience, hung up at the end.
    for (const [i, h] of HOSTILE_STRINGS.entries()) channels.push(await originateSimCaller(rest, {number: marker(i), name: sent(h), did: 'hq', patience: 170, app}))
    await until('every caller waiting in the queue', async () => {
      const r = await runCli(['calls', '--json', '--state', 'waiting'], env)
      return r.code === 0 && (JSON.parse(r.stdout) as {calls: unknown[]}).calls.length === HOSTILE_STRINGS.length
    }, 60_000)
  })

  afterAll(async () => {
    for (const id of channels) await rest?.hangup(id).catch(() => undefined)
    if (engine && engine.child.exitCode === null) {
      engine.child.kill('SIGTERM')
      await new Promise((r) => engine!.child.once('exit', r))
    }
    rmSync(home, {recursive: true, force: true})
  })

  it('calls: the table on a pipe and a terminal, and --json', async () => {
    const json = await ok(runCli(['calls', '--json'], env), 'calls --json')
    const calls = (expectJson(json, 'calls --json', HOSTILE_STRINGS.map((h) => ({...h, text: sent(h).replace(/[\r\n].*$/s, '')})))[0] as {calls: {caller: {name: string; number: string}}[]}).calls
    for (const h of HOSTILE_STRINGS.filter((x) => x.benign)) expect(calls.map((c) => c.caller.name), h.id).toContain(h.text)
    cover('calls', 'json')
    for (const [mode, run] of [['pipe', runCli], ['pty', runPty]] as const) {
      const out = await ok(run(['calls'], env), `calls (${mode})`)
      // What Asterisk passed on of each name is in --json; here nothing of it may act.
      expectInert(out, `calls (${mode})`, {shows: false})
      expectBenign(out, `calls (${mode})`)
      expectAligned(out, `calls (${mode})`, 'CALLER', 'QUEUE', after(/ hq /))
      cover('calls', mode)
    }
  })

  it('dashboard --once: plain on a pipe and a terminal, and --json', async () => {
    for (const [mode, run] of [['pipe', runCli], ['pty', runPty]] as const) {
      const out = await ok(run(['dashboard', '--once'], env), `dashboard --once (${mode})`)
      expectInert(out, `dashboard --once (${mode})`, {shows: false})
      expectBenign(out, `dashboard --once (${mode})`)
      const callsTable = out.slice(out.indexOf('\nCALLS\n'))
      expectAligned(callsTable, `dashboard --once (${mode})`, 'CALLER', 'QUEUE', after(/ hq /))
      cover('dashboard --once', mode)
    }
    const json = await ok(runCli(['dashboard', '--once', '--json'], env), 'dashboard --once --json')
    expectJson(json, 'dashboard --once --json', HOSTILE_STRINGS.filter((h) => h.benign))
    cover('dashboard --once', 'json')
  })

  it('events --follow: the stream of lines and of JSON lines', async () => {
    for (const json of [false, true]) {
      const follower = startCli(['events', '--follow', '--since', '30m', '--type', 'call.started', ...(json ? ['--json'] : [])], env)
      const out = await until(`events --follow${json ? ' --json' : ''} to print every caller`, () => {
        const text = follower.output()
        return HOSTILE_STRINGS.every((_, i) => text.includes(marker(i))) ? text : undefined
      }, 30_000)
      follower.child.kill('SIGINT')
      await new Promise((r) => (follower.child.exitCode === null ? follower.child.once('exit', r) : r(null)))
      if (json) expectJson(out, 'events --follow --json', HOSTILE_STRINGS.filter((h) => h.benign))
      else {
        expectInert(out, 'events --follow', {shows: false})
        expectBenign(out, 'events --follow')
      }
      cover('events --follow', json ? 'json' : 'pipe')
    }
  })
})
