import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {loadEngineConfig} from '../../src/engine/config/engine-config.js'

describe('engine config: contacts and CRM settings', () => {
  const dirs: string[] = []
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, {recursive: true, force: true})))
  const withConfig = (text: string, env: Record<string, string> = {}) => {
    const dir = mkdtempSync(join(tmpdir(), 'callctl-cfg-'))
    dirs.push(dir)
    const file = join(dir, 'config.yaml')
    writeFileSync(file, text)
    return () => loadEngineConfig({file, env: {CALLCTL_HOME: dir, CALLCTL_ARI_PASSWORD: 'pw', ...env}})
  }

  it('defaults to CN, no CRM, an 800 ms timeout and the VIP tier', () => {
    const c = withConfig('logLevel: info\n')()
    expect(c.defaultCountry).toBe('CN')
    expect(c.crm).toEqual({lookupUrl: null, timeoutMs: 800, vipTiers: ['VIP']})
  })

  it('reads the YAML settings, and environment variables override them', () => {
    const load = withConfig('defaultCountry: gb\ncrm:\n  lookupUrl: https://crm.example.com/callers/{number}\n  timeoutMs: 1500\n  vipTiers: [VIP, 贵宾]\n')
    expect(load().defaultCountry).toBe('GB')
    expect(load().crm).toEqual({lookupUrl: 'https://crm.example.com/callers/{number}', timeoutMs: 1500, vipTiers: ['VIP', '贵宾']})
    const env = withConfig('crm:\n  lookupUrl: https://crm.example.com/callers/{number}\n', {CALLCTL_CRM_URL: 'http://10.0.0.5/q?n={number}', CALLCTL_DEFAULT_COUNTRY: 'hk'})()
    expect(env.crm.lookupUrl).toBe('http://10.0.0.5/q?n={number}')
    expect(env.defaultCountry).toBe('HK')
    expect(withConfig('crm:\n  lookupUrl: https://crm.example.com/callers/{number}\n', {CALLCTL_CRM_URL: ''})().crm.lookupUrl).toBeNull()
  })

  it('points at the line and column of each bad value', () => {
    expect(withConfig('logLevel: info\ndefaultCountry: Narnia\n')).toThrow(/config\.yaml:2:17: defaultCountry "Narnia" is not a supported ISO country code/)
    expect(withConfig('crm:\n  lookupUrl: crm.example.com/{number}\n')).toThrow(/:2:14: crm\.lookupUrl "crm\.example\.com\/\{number\}" is not an http\(s\) URL/)
    expect(withConfig('crm:\n  lookupUrl: https://crm.example.com/callers\n')).toThrow(/:2:14: crm\.lookupUrl must contain \{number\}/)
    expect(withConfig('crm:\n  timeoutMs: 10\n')).toThrow(/:2:14: crm\.timeoutMs must be an integer from 50 to 30000 \(milliseconds\), got 10/)
    expect(withConfig('crm:\n  vipTiers:\n    - VIP\n    - 3\n')).toThrow(/:4:7: crm\.vipTiers\[1\] must be a non-empty tier name/)
    expect(withConfig('crm:\n  vipTiers: VIP\n')).toThrow(/:2:13: crm\.vipTiers must be a list of tier names/)
    expect(withConfig('crm:\n  timeout: 500\n')).toThrow(/:2:3: unknown setting "crm\.timeout"/)
    expect(withConfig('crm: yes\n')).toThrow(/:1:6: crm must be a mapping/)
  })

  it('checks the environment variables too', () => {
    expect(withConfig('', {CALLCTL_DEFAULT_COUNTRY: 'XX'})).toThrow(/CALLCTL_DEFAULT_COUNTRY "XX" is not a supported ISO country code/)
    expect(withConfig('', {CALLCTL_CRM_URL: 'http://crm/lookup'})).toThrow(/CALLCTL_CRM_URL must contain \{number\}/)
  })
})
