import {createHash} from 'node:crypto'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {addAgent} from '../../src/engine/admin/admin.js'
import {Authenticator} from '../../src/engine/api/authenticate.js'
import {repositoriesOf} from '../../src/engine/store/repositories.js'
import {SqliteStore} from '../../src/engine/store/sqlite-store.js'
import {newToken} from '../../src/engine/users/tokens.js'
import {addUser, issueToken, listUsers, removeUser} from '../../src/engine/users/users.js'
import {UserError} from '../../src/engine/util/errors.js'

// The users service behind `callctl user ...` and the engine's token check, on a real
// SQLite store (the repository itself runs on both stores in repositories-contract.test.ts).

let dir: string
let store: SqliteStore

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'callctl-users-'))
  store = new SqliteStore(join(dir, 'callctl.db'))
  await addAgent(store, {id: '1001', endpoint: 'PJSIP/1001'})
})
afterEach(async () => {
  await store.close()
  rmSync(dir, {recursive: true, force: true})
})

async function refusal(p: Promise<unknown>): Promise<UserError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(UserError)
  return err as UserError
}

describe('callctl user: mistakes are one line with a suggestion', () => {
  it('refuses an unknown role, an agent user without its agent or with one that does not exist, --agent on another role', async () => {
    expect(await refusal(addUser(store, {name: 'alice', role: 'boss'}))).toMatchObject({code: 'invalid_role', message: 'Unknown role "boss"', suggestion: 'Roles: admin, supervisor, agent.'})
    expect(await refusal(addUser(store, {name: 'wf', role: 'agent'}))).toMatchObject({code: 'missing_agent'})
    const unknown = await refusal(addUser(store, {name: 'wf', role: 'agent', agent: '9999'}))
    expect(unknown).toMatchObject({code: 'not_found', message: 'Agent "9999" does not exist'})
    expect(unknown.suggestion).toContain('callctl agent list')
    expect(await refusal(addUser(store, {name: 'sup', role: 'supervisor', agent: '1001'}))).toMatchObject({code: 'invalid_flag'})
    expect(await listUsers(store)).toEqual([])
  })

  it('refuses a duplicate (also one that differs only in full-width forms), control characters, and the local admin’s name', async () => {
    await addUser(store, {name: 'alice', role: 'supervisor'})
    const dup = await refusal(addUser(store, {name: 'alice', role: 'admin'}))
    expect(dup).toMatchObject({code: 'exists', message: 'User "alice" already exists (supervisor)'})
    expect(dup.suggestion).toContain('callctl user token alice')
    expect(await refusal(addUser(store, {name: 'ａｌｉｃｅ', role: 'admin'}))).toMatchObject({code: 'exists'})
    const ctl = await refusal(addUser(store, {name: 'bob\u001b[31m', role: 'admin'}))
    expect(ctl).toMatchObject({code: 'invalid_name', message: 'Invalid user name "bob\\u001B[31m"'})
    expect(ctl.suggestion).toContain('control character U+001B')
    expect(await refusal(addUser(store, {name: 'Admin', role: 'admin'}))).toMatchObject({code: 'invalid_name'})
    expect(await refusal(removeUser(store, 'nobody'))).toMatchObject({code: 'not_found', suggestion: 'See callctl user list.'})
    expect(await refusal(issueToken(store, 'nobody'))).toMatchObject({code: 'not_found'})
  })
})

describe('tokens: shown once, kept as a hash, replaced or revoked at once', () => {
  it('keeps only the SHA-256 of a 256-bit token, and each user.* event names the user and who did it', async () => {
    const r = await addUser(store, {name: '王芳', role: 'agent', agent: '1001'})
    expect(r.token).toMatch(/^cct_[A-Za-z0-9_-]{43}$/)
    expect(r.user).toEqual({name: '王芳', role: 'agent', agent: '1001', hasToken: true, tokenIssuedAt: expect.any(Number), createdAt: expect.any(Number)})
    const row = store.db.prepare('SELECT * FROM users').get() as Record<string, unknown>
    expect(row.token_hash).toBe(createHash('sha256').update(r.token!).digest('hex'))
    expect(JSON.stringify(row)).not.toContain(r.token!.slice(4))
    await issueToken(store, '王芳')
    await issueToken(store, '王芳', {revoke: true})
    await removeUser(store, '王芳')
    const events = store.db.prepare("SELECT type, data FROM events WHERE type LIKE 'user.%' ORDER BY id").all() as {type: string; data: string}[]
    expect(events.map((e) => [e.type, JSON.parse(e.data)])).toEqual([
      ['user.added', {user: '王芳', role: 'agent', agent: '1001', by: 'admin'}],
      ['user.token_issued', {user: '王芳', by: 'admin'}],
      ['user.token_revoked', {user: '王芳', by: 'admin'}],
      ['user.removed', {user: '王芳', by: 'admin'}],
    ])
  })

  it('the engine’s check follows every change on the next request: new token works, old one revoked, --revoke, removal', async () => {
    const auth = new Authenticator('the-admin-token')
    auth.users = repositoriesOf(store).users
    expect(await auth.authenticate('the-admin-token')).toEqual({ok: true, who: {user: 'admin', role: 'admin', agent: null}})
    expect(await auth.authenticate(undefined)).toEqual({ok: false, reason: 'missing'})
    expect(await auth.authenticate('cct_nothing')).toEqual({ok: false, reason: 'unknown'})
    const first = (await addUser(store, {name: 'wf', role: 'agent', agent: '1001'})).token!
    expect(await auth.authenticate(first)).toEqual({ok: true, who: {user: 'wf', role: 'agent', agent: '1001'}})
    const second = (await issueToken(store, 'wf')).token!
    expect(await auth.authenticate(first)).toEqual({ok: false, reason: 'revoked', user: 'wf'})
    expect(await auth.authenticate(second)).toMatchObject({ok: true})
    expect((await issueToken(store, 'wf', {revoke: true})).token).toBeNull()
    expect(await auth.authenticate(second)).toEqual({ok: false, reason: 'revoked', user: 'wf'})
    expect((await listUsers(store))[0]).toMatchObject({name: 'wf', hasToken: false})
    const third = (await issueToken(store, 'wf')).token!
    expect(await auth.authenticate(third)).toMatchObject({ok: true})
    await removeUser(store, 'wf')
    expect(await auth.authenticate(third)).toEqual({ok: false, reason: 'unknown'})
  })

  it('while the store cannot be read, a token seen before still works and an unseen one is refused as unavailable', async () => {
    const auth = new Authenticator('the-admin-token')
    const token = (await addUser(store, {name: 'sup', role: 'supervisor'})).token!
    const repo = repositoriesOf(store).users
    let down = false
    auth.users = {byTokenHash: (h) => (down ? Promise.reject(new Error('database down')) : repo.byTokenHash(h))}
    expect(await auth.authenticate(token)).toMatchObject({ok: true})
    down = true
    expect(await auth.authenticate(token)).toEqual({ok: true, who: {user: 'sup', role: 'supervisor', agent: null}})
    expect(await auth.authenticate(newToken())).toMatchObject({ok: false, reason: 'store'})
    // Not the shape of an issued token: refused without asking the store.
    expect(await auth.authenticate('cct_other')).toEqual({ok: false, reason: 'unknown'})
    expect(await auth.authenticate('the-admin-token')).toMatchObject({ok: true})
  })
})
