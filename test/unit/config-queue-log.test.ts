import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {loadEngineConfig} from '../../src/engine/config/engine-config.js'

function load(text: string, env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'callctl-cfg-'))
  const file = join(dir, 'config.yaml')
  writeFileSync(file, text)
  return loadEngineConfig({file, env: {CALLCTL_HOME: dir, CALLCTL_ARI_PASSWORD: 'pw', ...env}})
}

describe('engine config: queue_log', () => {
  it('is off unless configured; queueLog in the file or CALLCTL_QUEUE_LOG turns it on, "" turns it off', () => {
    expect(load('').queueLog).toBeNull()
    expect(load('queueLog: /var/log/asterisk/queue_log\n').queueLog).toBe('/var/log/asterisk/queue_log')
    expect(load('', {CALLCTL_QUEUE_LOG: '/tmp/ql'}).queueLog).toBe('/tmp/ql')
    expect(load('queueLog: /var/log/asterisk/queue_log\n', {CALLCTL_QUEUE_LOG: ''}).queueLog).toBeNull()
  })

  it('must be a file path', () => {
    expect(() => load('queueLog: [a, b]\n')).toThrow(/:1:11: queueLog must be a file path/)
  })
})
