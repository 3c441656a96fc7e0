import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {loadEngineConfig} from '../../src/engine/config/engine-config.js'

// The config's desk: section: what every agent's desk offers.

function load(yaml: string, env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'callctl-desk-config-'))
  const file = join(dir, 'config.yaml')
  writeFileSync(file, yaml)
  return loadEngineConfig({file, env: {CALLCTL_HOME: dir, CALLCTL_ARI_PASSWORD: 'pw', ...env}})
}

describe('desk settings in the engine config', () => {
  it('defaults, and the settings as written', () => {
    expect(load('').desk).toEqual({pauseReasons: ['break', 'lunch', 'meeting', 'training', 'coaching'], crmLink: null, quickReplies: [], historyDays: 180})
    const d = load('desk:\n  pauseReasons: [break, 培训]\n  crmLink: https://crm.example.com/c?phone={number}\n  quickReplies: ["您好，请问有什么可以帮您？"]\n  historyDays: 30\n')
    expect(d.desk).toEqual({pauseReasons: ['break', '培训'], crmLink: 'https://crm.example.com/c?phone={number}', quickReplies: ['您好，请问有什么可以帮您？'], historyDays: 30})
    expect(load('', {CALLCTL_CRM_LINK: 'https://x.example/{number}'}).desk.crmLink).toBe('https://x.example/{number}')
  })

  it.each([
    ['desk: [1]', /desk must be a mapping/],
    ['desk: {pauseReasons: []}', /desk.pauseReasons must be a list of 1 to 35 entries/],
    ['desk: {pauseReasons: ["a b"]}', /desk.pauseReasons\[0\] must be a word/],
    ['desk: {crmLink: "javascript:alert(1)"}', /desk.crmLink must be an http\(s\) URL/],
    ['desk: {historyDays: 0}', /desk.historyDays must be an integer from 1 to 3650, got 0/],
    ['desk: {dispositions: [a]}', /unknown setting "desk.dispositions"/],
  ])('refuses %s with the line and what to write', (yaml, message) => {
    expect(() => load(yaml + '\n')).toThrow(message)
  })
})
