import {describe, expect, it} from 'vitest'
import {isPostgresUrl, maskDatabase, pgTarget, withoutPassword} from '../../src/engine/store/database-url.js'
import {splitPassword} from '../../src/engine/store/pg/pg-backup.js'

describe('the configured database as printed', () => {
  it('tells a PostgreSQL URL from a SQLite path', () => {
    expect(isPostgresUrl('postgres://h/db')).toBe(true)
    expect(isPostgresUrl('postgresql://h/db')).toBe(true)
    expect(isPostgresUrl('POSTGRES://h/db')).toBe(true)
    expect(isPostgresUrl('/var/lib/callctl/callctl.db')).toBe(false)
    expect(isPostgresUrl(':memory:')).toBe(false)
    expect(isPostgresUrl('./postgres://x')).toBe(false)
  })

  it('masks the password wherever the URL carries one, and leaves the rest as written', () => {
    expect(maskDatabase('postgres://callctl:s3cret@db.example:5432/callctl')).toBe('postgres://callctl:***@db.example:5432/callctl')
    expect(maskDatabase('postgresql://u:p@ss:w/rd@h/db?sslmode=require')).toBe('postgresql://u:***@h/db?sslmode=require')
    expect(maskDatabase('postgres://u:pa?ss@h/db')).toBe('postgres://u:***@h/db')
    expect(maskDatabase('postgres://u:@h/db')).toBe('postgres://u:***@h/db')
    expect(maskDatabase('postgres://u@h/db?password=s3cret&sslmode=require')).toBe('postgres://u@h/db?password=***&sslmode=require')
    expect(maskDatabase('postgres://h:5432/db')).toBe('postgres://h:5432/db')
    expect(maskDatabase('postgres://u:s3cret@h')).toBe('postgres://u:***@h')
    expect(maskDatabase('/home/me/.callctl/callctl.db')).toBe('/home/me/.callctl/callctl.db')
  })

  it('names host:port/database for messages about reaching the server', () => {
    expect(pgTarget('postgres://u:s3cret@db.example/callctl')).toBe('db.example:5432/callctl')
    expect(pgTarget('postgres://u@10.0.0.5:6432/x')).toBe('10.0.0.5:6432/x')
    expect(pgTarget('postgres:///callctl?host=/run/postgresql')).toBe('/run/postgresql/.s.PGSQL.5432 (database callctl)')
    expect(pgTarget('postgres://callctl@/callctl?host=/var/run/postgresql')).toBe('/var/run/postgresql/.s.PGSQL.5432 (database callctl)')
    expect(pgTarget('postgresql://callctl:s3cret@%2Fvar%2Frun%2Fpostgresql:6432/callctl')).toBe('/var/run/postgresql/.s.PGSQL.6432 (database callctl)')
    expect(pgTarget('postgres://u:s3cret@h:bad/x')).toBe('postgres://u:***@h:bad/x')
  })

  it('db backup hands pg_dump the URL without its password, a Unix-socket URL too (new URL() threw on it: exit 70)', () => {
    expect(splitPassword('postgres://u:p%40ss@h:5432/db')).toEqual({url: 'postgres://u@h:5432/db', password: 'p@ss'})
    expect(splitPassword('postgres://u:pw@/db?host=/var/run/postgresql')).toEqual({url: 'postgres://u@/db?host=/var/run/postgresql', password: 'pw'})
    expect(splitPassword('postgres://u@h/db?password=x&sslmode=disable')).toEqual({url: 'postgres://u@h/db?sslmode=disable', password: 'x'})
    expect(splitPassword('postgres://u@h/db?sslmode=disable&password=x')).toEqual({url: 'postgres://u@h/db?sslmode=disable', password: 'x'})
    expect(splitPassword('postgres://u@/db?host=/tmp')).toEqual({url: 'postgres://u@/db?host=/tmp', password: null})
    expect(withoutPassword('postgres://u@h/db?password=x')).toBe('postgres://u@h/db')
  })
})
