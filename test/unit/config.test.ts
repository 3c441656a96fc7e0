import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {loadEngineConfig} from '../../src/engine/config/engine-config.js'

function withConfig(text: string, env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'callctl-cfg-'))
  const file = join(dir, 'config.yaml')
  writeFileSync(file, text)
  return () => loadEngineConfig({file, env: {CALLCTL_HOME: dir, CALLCTL_ARI_PASSWORD: 'pw', ...env}})
}

describe('engine config', () => {
  it('reads YAML and lets CALLCTL_* variables override it', () => {
    const load = withConfig('ari:\n  url: http://pbx:8088\n  user: ops\n  app: cc\ndefaultQueue: support\n', {CALLCTL_ARI_APP: 'cc2'})
    const c = load()
    expect(c.ari).toEqual({url: 'http://pbx:8088', user: 'ops', password: 'pw', app: 'cc2'})
    expect(c.defaultQueue).toBe('support')
  })

  it('points at the line and column of an unknown key, listing the accepted ones', () => {
    const load = withConfig('ari:\n  url: http://pbx:8088\n  pasword: x\n')
    expect(load).toThrow(/config\.yaml:3:3: unknown setting "ari\.pasword"/)
    try {
      load()
    } catch (e) {
      expect((e as {suggestion: string}).suggestion).toBe('Accepted here: url, user, password, passwordFile, app.')
    }
  })

  it('reports YAML syntax errors with their position', () => {
    expect(withConfig('ari:\n  url: http://x\n user: y\n')).toThrow(/config\.yaml:3:\d+: /)
    expect(withConfig('ari: [1, 2\nlogLevel: info\n')).toThrow(/config\.yaml:\d+:\d+: .*flow sequence/i)
  })

  it('checks values: a bad URL, a port out of range, an unknown log level', () => {
    expect(withConfig('ari:\n  url: pbx.example\n')).toThrow(/:2:8: ari.url "pbx.example" is not an http\(s\) URL/)
    expect(withConfig('api:\n  port: 70000\n')).toThrow(/:2:9: api.port must be an integer from 1 to 65535/)
    expect(withConfig('logLevel: loud\n')).toThrow(/:1:11: logLevel "loud" is not one of debug, info, warn, error/)
  })

  it('asks for a password when none is configured, without printing any', () => {
    const dir = mkdtempSync(join(tmpdir(), 'callctl-cfg-'))
    expect(() => loadEngineConfig({env: {CALLCTL_HOME: dir}})).toThrow(/No ARI password: .*ari-password does not exist/)
  })
})
