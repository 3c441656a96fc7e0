import chalk from 'chalk'
import {afterEach, describe, expect, it} from 'vitest'
import {renderUserResult} from '../../src/ui/user-render.js'

const level = chalk.level
afterEach(() => {
  chalk.level = level
})

describe('user add output', () => {
  it('the token line lines up with user and role, with or without an agent (misuse report 21)', () => {
    chalk.level = 0
    const user = {name: 'alice', role: 'supervisor' as const, agent: null, hasToken: true, tokenIssuedAt: 0, createdAt: 0}
    const out = renderUserResult({user, token: 'cct_secret', action: 'added'})
    expect(out.split('\n').slice(1, 4)).toEqual(['user   alice', 'role   supervisor', 'token  cct_secret'])
    const agent = renderUserResult({user: {...user, role: 'agent', agent: '1001'}, token: 'cct_secret', action: 'added'})
    expect(agent.split('\n').slice(1, 5)).toEqual(['user   alice', 'role   agent', 'agent  1001', 'token  cct_secret'])
  })
})
