import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {loadEngineConfig} from '../../src/engine/config/engine-config.js'

function load(text: string, env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'callctl-chcfg-'))
  const file = join(dir, 'config.yaml')
  writeFileSync(file, text)
  return loadEngineConfig({file, env: {CALLCTL_HOME: dir, CALLCTL_ARI_PASSWORD: 'pw', ...env}})
}

describe('channels: in the engine config', () => {
  it('absent: no chat server; CALLCTL_CHAT_PORT alone starts one on loopback', () => {
    expect(load('').channels).toBeNull()
    const c = load('', {CALLCTL_CHAT_PORT: '0'}).channels!
    expect(c.web).toMatchObject({host: '127.0.0.1', port: 0, frameAncestors: ['*'], maxImageBytes: 5 * 1024 * 1024, maxUploadsBytes: 1024 ** 3, maxTextChars: 4000})
    expect(c.wechat).toBeNull()
    expect(c.webhook).toBeNull()
  })

  it('fills defaults for each channel given', () => {
    const c = load('channels:\n  web: {port: 8095, frameAncestors: ["https://shop.example.com"]}\n  wechat: {appId: wx1, appSecretFile: /etc/s}\n  webhook: {url: "https://bots.example.com/in"}\n').channels!
    expect(c.web.port).toBe(8095)
    expect(c.wechat).toMatchObject({path: '/wechat', appId: 'wx1', appSecretFile: '/etc/s', apiBase: 'https://api.weixin.qq.com', replyWaitMs: 1500})
    expect(c.wechat!.tokenFile).toMatch(/secrets\/wechat-token$/)
    expect(c.webhook).toMatchObject({path: '/webhook', url: 'https://bots.example.com/in', timeoutMs: 5000})
  })

  it('points at the line and column of a mistake', () => {
    expect(() => load('channels:\n  web:\n    port: 70000\n')).toThrow(/config\.yaml:3:\d+: channels\.web\.port must be an integer from 0 to 65535/)
    // Plain mode: appId is only for the customer-service API, which needs the secret too (misuse report 21, finding 13).
    expect(() => load('channels:\n  wechat:\n    appId: wx1\n')).toThrow(/config\.yaml:3:5: channels\.wechat\.appId in mode plain is only for the customer-service API, which needs appSecretFile too/)
    expect(() => load('channels:\n  wechat:\n    appSecretFile: /s\n')).toThrow(/config\.yaml:3:5: channels\.wechat\.appSecretFile needs appId/)
    expect(() => load('channels:\n  webhook:\n    url: ftp://x\n')).toThrow(/config\.yaml:3:\d+: channels\.webhook\.url is not valid/)
    expect(() => load('channels:\n  web:\n    frameAncestors: ["javascript:x"]\n')).toThrow(/frameAncestors must be a list of origins/)
    expect(() => load('channels:\n  sms: {}\n')).toThrow(/unknown setting "channels\.sms"/)
  })
})
