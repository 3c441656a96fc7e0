import {afterEach, describe, expect, it} from 'vitest'
import {addAgent} from '../../src/engine/admin/admin.js'
import {EngineClient, EngineRequestError} from '../../src/engine/api/client.js'
import {ApiServer, type Handler} from '../../src/engine/api/server.js'
import type {NewEvent} from '../../src/engine/store/events.js'
import {addUser, issueToken, removeUser} from '../../src/engine/users/users.js'
import {createLogger} from '../../src/engine/util/log.js'
import {repositoryStores, type OpenedStore} from '../support/repository-stores.js'

// The API server's token check on each store: a user's token is looked up in the users
// table on every request, so what `callctl user` writes holds from the next request on,
// on SQLite and on PostgreSQL alike. (The same on a real engine, every method by every
// role: test/integration/roles.test.ts.)

describe.each(repositoryStores())('users of the API on $name', (kind) => {
  const opened: {store: OpenedStore; server: ApiServer; clients: EngineClient[]}[] = []
  afterEach(async () => {
    for (const o of opened.splice(0)) {
      for (const c of o.clients) c.close()
      await o.server.close()
      await o.store.close()
    }
  })

  async function serve() {
    const store = await kind.open()
    const audit: NewEvent[] = []
    const handlers: Record<string, Handler> = {
      'session.whoami': (_p, _c, who) => who,
      'supervise.list': () => ({supervisions: []}),
      'agent.pause': (p: {agent: string; by?: string}) => ({paused: p.agent, by: p.by}),
    }
    const server = new ApiServer({host: '127.0.0.1', port: 0, token: 'admin-file-token', handlers, log: createLogger({level: 'error'}), users: store.repos.users, audit: (e) => audit.push(e)})
    const {url} = await server.listen()
    const o = {store, server, clients: [] as EngineClient[]}
    opened.push(o)
    const connect = async (token: string) => {
      const c = await EngineClient.connect(url, token)
      o.clients.push(c)
      return c
    }
    return {store, audit, connect}
  }

  const answer = (p: Promise<unknown>) =>
    p.then(
      (r) => ({ok: r}),
      (e: EngineRequestError) => e.body,
    )

  it('a user’s token works at once, is refused on the next request once replaced, revoked or its user removed', async () => {
    const {store, audit, connect} = await serve()
    await addAgent(store.store, {id: 'a1', endpoint: 'PJSIP/a1'})
    const first = (await addUser(store.store, {name: '王芳', role: 'agent', agent: 'a1'})).token!
    const c = await connect(first)
    expect(await c.request('session.whoami')).toEqual({user: '王芳', role: 'agent', agent: 'a1'})
    // The role holds, and the audit's by is the user whatever the params say.
    expect(await answer(c.request('supervise.list'))).toMatchObject({code: 'forbidden', message: 'Forbidden: role agent may not call supervise.list (user 王芳)'})
    expect(await c.request('agent.pause', {agent: 'a1', by: 'mallory'})).toEqual({paused: 'a1', by: '王芳'})
    const second = (await issueToken(store.store, '王芳')).token!
    expect(await answer(c.request('session.whoami'))).toMatchObject({code: 'unauthorized', message: 'This API token was revoked or replaced'})
    const c2 = await connect(second)
    expect(await c2.request('session.whoami')).toMatchObject({user: '王芳'})
    await issueToken(store.store, '王芳', {revoke: true})
    expect(await answer(c2.request('session.whoami'))).toMatchObject({code: 'unauthorized'})
    const third = (await issueToken(store.store, '王芳')).token!
    const c3 = await connect(third)
    expect(await c3.request('session.whoami')).toMatchObject({user: '王芳'})
    await removeUser(store.store, '王芳')
    expect(await answer(c3.request('session.whoami'))).toMatchObject({code: 'unauthorized', message: 'Unknown API token'})
    expect(await (await connect('admin-file-token')).request('session.whoami')).toEqual({user: 'admin', role: 'admin', agent: null})
    expect(audit.map((e) => [e.type, e.data?.reason, e.data?.user])).toEqual([
      ['auth.refused', 'role agent may not call supervise.list', '王芳'],
      ['auth.failed', 'revoked', '王芳'],
      ['auth.failed', 'revoked', '王芳'],
      ['auth.failed', 'unknown', undefined],
    ])
  })
})
