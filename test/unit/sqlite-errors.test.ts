import Database from 'better-sqlite3'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {sqliteUserError} from '../../src/engine/store/sqlite-errors.js'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'
import {isUserError} from '../../src/engine/util/errors.js'
import {checkHome, fileInTheWay, makeDirectory, callctlPaths} from '../../src/engine/util/paths.js'

// Which SQLite failures are the user's (one line, exit 2) and which stay bugs: real errors
// from real SQLite where SQLite can be made to raise them in a test, the code alone where
// it cannot (an I/O error needs a failing disk).

const dir = mkdtempSync(join(tmpdir(), 'callctl-sqlerr-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (err) {
    return err
  }
  throw new Error('expected it to throw')
}

describe('sqliteUserError', () => {
  it('a full disk (a real SQLITE_FULL)', () => {
    const db = new Database(join(dir, 'full.db'))
    db.exec('CREATE TABLE t (x TEXT)')
    db.pragma('max_page_count = 2')
    const err = thrown(() => db.prepare('INSERT INTO t VALUES (?)').run('x'.repeat(100_000)))
    db.close()
    const u = sqliteUserError(err, '/srv/callctl.db')
    expect(u?.message).toBe('The disk holding the database /srv/callctl.db is full (SQLite: database or disk is full)')
    expect(u?.exitCode).toBe(2)
    expect(u?.suggestion).toContain('df -h /srv/callctl.db')
  })

  it('a read-only connection written to (a real SQLITE_READONLY)', () => {
    const file = join(dir, 'ro.db')
    new Database(file).exec('CREATE TABLE t (x)')
    const db = new Database(file, {readonly: true})
    const err = thrown(() => db.exec('INSERT INTO t VALUES (1)'))
    db.close()
    expect(sqliteUserError(err, file)?.message).toBe(`The database ${file} is read-only (SQLite: attempt to write a readonly database)`)
  })

  it('a lock held by another connection past the wait (a real SQLITE_BUSY)', () => {
    const file = join(dir, 'busy.db')
    const holder = new Database(file)
    holder.exec('CREATE TABLE t (x)')
    holder.exec('BEGIN IMMEDIATE')
    const db = new Database(file)
    db.pragma('busy_timeout = 0')
    const err = thrown(() => db.exec('INSERT INTO t VALUES (1)'))
    holder.exec('ROLLBACK')
    holder.close()
    db.close()
    expect(sqliteUserError(err, file)?.code).toBe('database_busy')
  })

  it('extended codes count as their primary code (SQLITE_IOERR_WRITE is an I/O error)', () => {
    const err = Object.assign(new Error('disk I/O error'), {code: 'SQLITE_IOERR_WRITE'})
    const u = sqliteUserError(err, ['/a.db', ':memory:'])
    expect(u?.message).toBe('The database /a.db could not be read or written (SQLite: disk I/O error)')
    expect(u?.code).toBe('database_io_error')
  })

  it('SQL errors, constraint failures and errors that are not SQLite’s stay bugs', () => {
    const db = new Database(':memory:')
    db.exec('CREATE TABLE t (x PRIMARY KEY)')
    db.exec('INSERT INTO t VALUES (1)')
    expect(sqliteUserError(thrown(() => db.exec('SELECT * FROM nope')), 'f')).toBeUndefined()
    expect(sqliteUserError(thrown(() => db.exec('INSERT INTO t VALUES (1)')), 'f')).toBeUndefined()
    db.close()
    expect(sqliteUserError(new TypeError('x is undefined'), 'f')).toBeUndefined()
    expect(sqliteUserError(Object.assign(new Error('EACCES'), {code: 'EACCES'}), 'f')).toBeUndefined()
    expect(sqliteUserError(undefined, 'f')).toBeUndefined()
  })
})

describe('opening a SQLite store at a wrong path', () => {
  it('a file that is not a database is named and left as it was', () => {
    const file = join(dir, 'hello.db')
    writeFileSync(file, 'hello')
    const err = thrown(() => new SqliteStore(file))
    expect(isUserError(err) && err.message).toBe(`${file} is not a callctl database (SQLite: file is not a database)`)
  })

  it('without createDirectory, a missing directory is refused and not made', () => {
    const file = join(dir, 'no', 'such', 'x.db')
    const err = thrown(() => new SqliteStore(file, {createDirectory: false}))
    expect(isUserError(err) && err.code).toBe('no_database')
    expect(fileInTheWay(join(dir, 'no'))).toBeNull()
  })
})

describe('paths', () => {
  it('names the file in the way of a directory, itself or a parent', () => {
    const file = join(dir, 'a-file')
    writeFileSync(file, '')
    expect(fileInTheWay(file)).toBe(file)
    expect(fileInTheWay(join(file, 'x', 'y'))).toBe(file)
    expect(fileInTheWay(join(dir, 'not', 'yet'))).toBeNull()
    const err = thrown(() => makeDirectory(join(file, 'db'), 'the database X'))
    expect(isUserError(err) && err.message).toBe(`Cannot make the directory ${join(file, 'db')} for the database X: ${file} is a file, not a directory`)
  })

  it('checkHome: a CALLCTL_HOME that is a file is said before anything uses it', () => {
    const file = join(dir, 'home-file')
    writeFileSync(file, '')
    const env = {CALLCTL_HOME: file}
    const err = thrown(() => checkHome(callctlPaths(env), env))
    expect(isUserError(err) && err.message).toBe(`CALLCTL_HOME ${file} is not a directory: it is a file`)
    expect(() => checkHome(callctlPaths({CALLCTL_HOME: join(dir, 'new-home')}), {CALLCTL_HOME: join(dir, 'new-home')})).not.toThrow()
  })
})
