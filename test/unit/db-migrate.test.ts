import {execFileSync} from 'node:child_process'
import {chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {generateCallLog} from '../../src/bench/report-data/generate.js'
import {addAgent, addQueue, loginAgent, pauseAgent} from '../../src/engine/admin/admin.js'
import {CallRowsProjector} from '../../src/engine/reports/call-rows.js'
import {migrateToPostgres, type MigrateProgress} from '../../src/engine/store/migrate/migrate-to-postgres.js'
import {ALL_TABLES} from '../../src/engine/store/migrate/tables.js'
import {findPgDump, pgDump} from '../../src/engine/store/pg/pg-backup.js'
import {PgStore} from '../../src/engine/store/pg/pg-store.js'
import {repositoriesOf} from '../../src/engine/store/repositories.js'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'
import {UserError} from '../../src/engine/util/errors.js'
import {postgresBinDir, startPostgres, type TestPostgres} from '../support/postgres.js'
import {dayScenario} from '../support/report-scenario.js'

// `callctl db migrate` and `db backup` on PostgreSQL, against a real cluster: a realistic
// SQLite store (generated traffic, a hand-made day, every repository filled, the call
// summary part-way) copied and checked; a target in use refused; a failure leaving the
// target as it was; a pg_dump backup restored with pg_restore.

let cluster: TestPostgres
let source = ''
let databases = 0
const dirs: string[] = []
const PASSWORD = 's3cret-pw'

const tmp = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix))
  dirs.push(d)
  return d
}

beforeAll(async () => {
  cluster = await startPostgres()
  // A user that must give its password (the cluster trusts loopback otherwise).
  cluster.psql(`CREATE ROLE pwuser LOGIN SUPERUSER PASSWORD '${PASSWORD}'`)
  const hba = join(cluster.dir, 'data', 'pg_hba.conf')
  writeFileSync(hba, `host all pwuser 127.0.0.1/32 scram-sha-256\n${readFileSync(hba, 'utf8')}`)
  cluster.psql('SELECT pg_reload_conf()')

  source = join(tmp('callctl-migrate-'), 'callctl.db')
  const s = new SqliteStore(source)
  generateCallLog(s.db, {calls: 400, days: 2, queues: 2, agents: 8, seed: 3, start: Date.UTC(2026, 10, 20)})
  await s.appendEvents(dayScenario().events)
  await addQueue(s, 'sales', {slSeconds: 20})
  await addQueue(s, '售后', {})
  await addAgent(s, {id: 'a1', name: 'Alice', endpoint: 'PJSIP/a1', queues: ['sales', '售后']})
  await loginAgent(s, 'a1')
  await pauseAgent(s, 'a1', 'lunch')
  const r = repositoriesOf(s)
  await r.contacts.upsertMany([{number: '+8613800000001', name: '张伟', tier: 'vip', extra: {crm: 'A-1\ttab'}}, {number: '+15550400020', name: 'O\'Brien \\ "quoted"'}])
  await r.blacklist.add({number: '+8613900000000', reason: '骚扰电话', until: null}, 1000)
  await r.flows.deploy('*', 'default', 'name: main\nstart: greet\nnodes:\n  greet: {say: 欢迎, next: end}\n', 2000)
  await r.flows.deploy('4000', 'sales', 'name: sales\n', 3000)
  await r.prompts.save({name: 'welcome', language: 'zh', file: 'callctl/welcome-zh', source: 'tts', text: '欢迎致电', durationMs: 1500, createdAt: 4000})
  await r.kb.add({question: '如何申请退款？', answer: '在订单页面点击退款。', tags: ['billing', '退款']})
  await r.kb.add({question: 'How do I reset my password?', answer: 'Use the link in the login page.', tags: ['account']})
  const now = Date.now()
  await r.phones.save({id: 'a1', agent: 'a1', transport: null, createdAt: now, updatedAt: now}, {type: 'phone.added', ts: now, agent: 'a1', data: {agent: 'a1'}})
  await r.tickets.write([{kind: 'create', make: (ticket) => [{type: 'ticket.created', ts: now, agent: 'a1', callId: 'c-1', data: {ticket, subject: '退款未到账', priority: 'high', assignee: {agent: 'a1'}, calls: ['c-1'], dueTs: now + 86_400_000, status: 'open', by: 'admin'}}]}])
  new CallRowsProjector(s.db).advance(3000)
  await s.close()
})

afterAll(() => {
  cluster?.stop()
  for (const d of dirs) rmSync(d, {recursive: true, force: true})
})

const fresh = () => cluster.createDatabase(`migrate_${++databases}`)

describe('db migrate --to postgres://', () => {
  it('copies every table, events with their ids, and commits once counts and every report agree', async () => {
    const target = fresh()
    const progress: MigrateProgress[] = []
    const r = await migrateToPostgres({source, target, onProgress: (p) => progress.push(p)})

    for (const t of r.tables) expect(t.target, t.table).toBe(t.source)
    const filled = r.tables.filter((t) => t.source > 0).map((t) => t.table)
    expect(filled).toEqual(expect.arrayContaining(['events', 'queues', 'agents', 'agent_queues', 'agent_presence', 'contacts', 'blacklist', 'ivr_flows', 'prompts', 'kb_entries', 'recordings', 'phones', 'tickets', 'ticket_calls', 'call_rows', 'projections']))
    expect(r.reports.map((x) => x.report)).toEqual(['calls', 'queues', 'agents', 'hourly', 'abandoned', 'ivr', 'survey', 'staffing', 'dispositions', 'tickets', 'chats', 'queue-log'])
    for (const x of r.reports) expect(x.identical, x.report).toBe(true)
    expect(r.reports.find((x) => x.report === 'calls')!.rows).toBe(407)
    expect(r.replaced).toBeNull()
    // Progress: each table from 0 to its total, then each report checked.
    expect(progress.filter((p) => p.phase === 'copy' && p.table === 'events').at(-1)).toMatchObject({done: r.events, total: r.events})
    expect(progress.filter((p) => p.phase === 'check').at(-1)).toMatchObject({done: 12, total: 12})
    expect(progress.at(-1)).toMatchObject({phase: 'analyze', done: ALL_TABLES.length, total: ALL_TABLES.length})
    expect(r.analyzed).toBe(true)

    // The store works on PostgreSQL as it did: ids continue, repositories find what was copied.
    const pg = await PgStore.open(target)
    try {
      expect(await pg.lastEventId()).toBe(r.lastEventId)
      await pg.appendEvents([{type: 'agent.logout', ts: Date.now(), agent: 'a1'}])
      expect(await pg.lastEventId()).toBe(r.lastEventId + 1)
      const repos = repositoriesOf(pg)
      expect(await repos.contacts.get('+8613800000001')).toMatchObject({name: '张伟', tier: 'vip', extra: {crm: 'A-1\ttab'}})
      expect((await repos.contacts.get('+15550400020'))?.name).toBe('O\'Brien \\ "quoted"')
      expect(await repos.tickets.get('T-000001')).toMatchObject({subject: '退款未到账', assignee: {agent: 'a1'}, calls: ['c-1']})
      expect((await repos.tickets.list({call: 'c-1'})).map((t) => t.id)).toEqual(['T-000001'])
      expect((await repos.kb.search('退款')).map((h) => h.question)).toEqual(['如何申请退款？'])
      expect((await repos.kb.search('PASSWORD')).map((h) => h.tags)).toEqual([['account']])
      const kb = await repos.kb.add({question: 'New one', answer: 'x'})
      expect(kb.id).toBe(3)
      expect((await repos.flows.live('4000'))?.name).toBe('sales')
      expect((await repos.blacklist.match('13900000000', 2000))?.reason).toBe('骚扰电话')
      expect((await repos.phones.list()).map((p) => p.id)).toEqual(['a1'])
      expect((await pg.getAgent('a1'))?.queues).toEqual({sales: 0, 售后: 0})
      expect(await pg.listPresence()).toMatchObject([{agent: 'a1', status: 'paused', reason: 'lunch'}])
      expect((await pg.pool.query('SELECT entries::int AS n FROM kb_stats')).rows[0].n).toBe(3)
    } finally {
      await pg.close()
    }
  })

  it('refuses a target that holds a store unless --force, which replaces it; refuses one an engine leads even so', async () => {
    const target = fresh()
    await migrateToPostgres({source, target})
    const count = async () => Number(cluster.psql('SELECT count(*) FROM events', target.split('/').at(-1)))
    const before = await count()

    const refused = await migrateToPostgres({source, target}).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(UserError)
    expect(refused).toMatchObject({code: 'target_not_empty', exitCode: 2})
    expect((refused as UserError).message).toMatch(/^The target postgres:\/\/callctl@127\.0\.0\.1:\d+\/migrate_\d+ already holds a callctl store \(queues: 2, agents: 1, .*events: [\d,]+\)$/)
    expect(await count()).toBe(before)

    const forced = await migrateToPostgres({source, target, force: true})
    expect(forced.replaced).toMatchObject({events: before})
    expect(await count()).toBe(before)
    expect(forced.reports.every((x) => x.identical)).toBe(true)

    cluster.psql("INSERT INTO leadership (key, epoch, holder, expires_at) VALUES ('callctl', 3, 'box1:4242', now() + interval '1 hour')", target.split('/').at(-1))
    const inUse = await migrateToPostgres({source, target, force: true}).catch((e: unknown) => e)
    expect(inUse).toMatchObject({code: 'target_in_use', message: expect.stringContaining('An engine leads on') as string})
  })

  it('leaves the target as it was when the copy fails part-way', async () => {
    const target = fresh()
    const name = target.split('/').at(-1)!
    await (await PgStore.open(target)).close()
    cluster.psql(
      `CREATE FUNCTION no_phones() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$;
       CREATE TRIGGER no_phones BEFORE INSERT ON phones FOR EACH ROW EXECUTE FUNCTION no_phones();`,
      name,
    )
    await expect(migrateToPostgres({source, target})).rejects.toThrow(/disk full/)
    for (const table of ['queues', 'contacts', 'kb_entries', 'recordings', 'events']) expect(cluster.psql(`SELECT count(*) FROM ${table}`, name), table).toBe('0')
  })

  it('names the table and PostgreSQL\'s reason when it refuses a row SQLite kept, and commits nothing', async () => {
    const bad = join(tmp('callctl-migrate-bad-'), 'callctl.db')
    const s = new SqliteStore(bad)
    await addQueue(s, 'sales', {})
    // An older callctl wrote with foreign keys off: a membership of an agent that is gone.
    s.db.pragma('foreign_keys = OFF')
    s.db.prepare("INSERT INTO agent_queues (agent, queue, penalty) VALUES ('ghost', 'sales', 0)").run()
    await s.close()
    const target = fresh()
    const err = await migrateToPostgres({source: bad, target}).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(UserError)
    expect(err).toMatchObject({code: 'migrate_row', exitCode: 1})
    expect((err as UserError).message).toMatch(/^PostgreSQL refused a row of agent_queues: insert or update on table "agent_queues" violates foreign key constraint .*; nothing was committed$/)
    expect(cluster.psql('SELECT count(*) FROM queues', target.split('/').at(-1))).toBe('0')
  })

  it('says in one line what is wrong with the target, never its password', async () => {
    const unreachable = await migrateToPostgres({source, target: `postgres://pwuser:${PASSWORD}@127.0.0.1:1/callctl`}).catch((e: unknown) => e)
    expect(unreachable).toBeInstanceOf(UserError)
    expect((unreachable as UserError).message).toMatch(/^Cannot reach PostgreSQL at 127\.0\.0\.1:1\/callctl: .*ECONNREFUSED/)

    const wrong = await migrateToPostgres({source, target: `postgres://pwuser:not-${PASSWORD}@127.0.0.1:${cluster.port}/callctl`}).catch((e: unknown) => e)
    expect(wrong).toBeInstanceOf(UserError)
    expect((wrong as UserError).message).toBe(`Cannot use PostgreSQL at 127.0.0.1:${cluster.port}/callctl: password authentication failed for user "pwuser"`)

    const notPg = await migrateToPostgres({source, target: '/tmp/other.db'}).catch((e: unknown) => e)
    expect(notPg).toMatchObject({code: 'bad_option', message: '--to must be a PostgreSQL URL, not /tmp/other.db'})
    for (const e of [unreachable, wrong, notPg]) {
      expect((e as Error).message).not.toContain(PASSWORD)
      expect((e as Error).message.split('\n')).toHaveLength(1)
    }
  })
})

describe('db backup of a PostgreSQL store', () => {
  it('is a pg_dump custom-format file that pg_restore brings back, the password given in PGPASSWORD, never on the command line', async () => {
    const target = fresh()
    const r = await migrateToPostgres({source, target})
    const withPassword = target.replace('postgres://callctl@', `postgres://pwuser:${encodeURIComponent(PASSWORD)}@`)
    // pg_dump as found on PATH, behind a wrapper that records the arguments it was given.
    const bin = tmp('callctl-pgdump-')
    const argv = join(bin, 'argv')
    writeFileSync(join(bin, 'pg_dump'), `#!/bin/sh\nprintf '%s\\n' "$@" >> ${argv}\nexec ${join(postgresBinDir(), 'pg_dump')} "$@"\n`)
    chmodSync(join(bin, 'pg_dump'), 0o755)
    const file = join(tmp('callctl-backup-'), 'callctl.dump')
    const tool = await pgDump(withPassword, file, {env: {...process.env, PATH: `${bin}:${process.env.PATH}`, PGPASSWORD: undefined}})
    expect(tool.path).toBe(join(bin, 'pg_dump'))
    expect(tool.version).toMatch(/^\d+\.\d+/)
    expect(readFileSync(file).subarray(0, 5).toString()).toBe('PGDMP')
    expect(statSync(file).mode & 0o777).toBe(0o640)
    const args = readFileSync(argv, 'utf8')
    expect(args).toContain('--format=custom')
    expect(args).not.toContain(PASSWORD)

    const restored = fresh()
    execFileSync(join(postgresBinDir(), 'pg_restore'), ['--no-owner', `--dbname=${restored}`, file])
    const name = restored.split('/').at(-1)!
    expect(Number(cluster.psql('SELECT count(*) FROM events', name))).toBe(r.events)
    expect(Number(cluster.psql('SELECT count(*) FROM call_rows', name))).toBe(r.tables.find((t) => t.table === 'call_rows')!.source)
    // The restored database is a store callctl opens and appends to (schema and identities kept).
    const back = await PgStore.open(restored)
    try {
      await back.appendEvents([{type: 'agent.logout', ts: Date.now(), agent: 'a1'}])
      expect(await back.lastEventId()).toBe(r.lastEventId + 1)
    } finally {
      await back.close()
    }
  })

  it('fails in one line, the password masked, when pg_dump is missing or cannot connect', async () => {
    const missing = await findPgDump({env: {PATH: '/nonexistent'}, installRoot: '/nonexistent'}).catch((e: unknown) => e)
    expect(missing).toMatchObject({code: 'no_pg_dump', message: 'pg_dump is not installed: a PostgreSQL store is backed up with it'})
    const file = join(tmp('callctl-backup-'), 'x.dump')
    const refused = await pgDump(`postgres://pwuser:wrong-${PASSWORD}@127.0.0.1:${cluster.port}/callctl`, file).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(UserError)
    expect((refused as UserError).message).toMatch(new RegExp(`^pg_dump could not back up 127\\.0\\.0\\.1:${cluster.port}/callctl: .*password authentication failed for user "pwuser"$`))
    expect((refused as UserError).message).not.toContain(PASSWORD)
    expect(existsSync(file)).toBe(true) // the command removes its partial file (db backup)
  })
})
