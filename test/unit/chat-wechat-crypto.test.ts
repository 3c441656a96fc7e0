import {chmodSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {aesKeyOf, readEncodingAesKey, wechatMsgSignature, WechatCrypto, WechatCryptoError} from '../../src/engine/chat/channels/wechat/wechat-crypto.js'
import {startChannels} from '../../src/engine/chat/channels/start-channels.js'
import {loadEngineConfig} from '../../src/engine/config/engine-config.js'
import {silentLogger} from '../../src/engine/util/log.js'
import {ChatCoreDouble} from '../support/chat-core-double.js'

// WeChat's message encryption against vectors made outside this code.

const ENCODING_AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG'
const key = aesKeyOf(ENCODING_AES_KEY) as Buffer
const crypto = new WechatCrypto(key, 'wx0123456789abcdef', 'tok')

// Made with openssl (no callctl code involved):
//   KEY=$(printf '%s' 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG=' | base64 -d | xxd -p -c 64)
//   XML='<xml><Content><![CDATA[你好]]></Content></xml>'              # 48 bytes in UTF-8
//   { printf '0123456789abcdef'; printf '%08x' 48 | xxd -r -p; printf '%s' "$XML"; printf wx0123456789abcdef; } > p.bin
//   # 86 bytes: PKCS#7 to 32-byte blocks adds 10 bytes of 0x0a
//   for i in $(seq 10); do printf '\x0a'; done >> p.bin
//   openssl enc -aes-256-cbc -K $KEY -iv ${KEY:0:32} -nopad -in p.bin | base64 -w0
//   printf '%s\n' tok 1700000000 123 "$ENC" | LC_ALL=C sort | tr -d '\n' | sha1sum
const VECTOR = {
  keyHex: '69b71d79f8218a39259a7a29aabb2dbafc31cb3d35db7e39ebbf3d0010831051',
  random: Buffer.from('0123456789abcdef'),
  xml: '<xml><Content><![CDATA[你好]]></Content></xml>',
  encrypt: 'Q3stYC6hdFzMh9T8HCvyDMwQK6xyeRZ7UnuZsYfP7/6Yf0piNuk7kxZYuxJFeZQQ6WWSSAGv9ZFJIKURndrGsw5RPbXXfGyVyFseI5o3ev1m69fZBO8OAhWGxTVIUBMN',
  msgSignature: '0ad87b64a7220183f05273f6670ce2cbf4625d54',
}

describe('WeChat message encryption (消息加解密)', () => {
  it('the AES key is base64 of the EncodingAESKey with "=" appended', () => {
    expect(key.toString('hex')).toBe(VECTOR.keyHex)
  })

  it('encrypts exactly as openssl does, and decrypts it back', () => {
    expect(crypto.encrypt(VECTOR.xml, VECTOR.random)).toBe(VECTOR.encrypt)
    expect(crypto.decrypt(VECTOR.encrypt)).toBe(VECTOR.xml)
    expect(wechatMsgSignature('tok', '1700000000', '123', VECTOR.encrypt)).toBe(VECTOR.msgSignature)
    expect(crypto.signatureMatches(VECTOR.msgSignature, '1700000000', '123', VECTOR.encrypt)).toBe(true)
    expect(crypto.signatureMatches(VECTOR.msgSignature, '1700000001', '123', VECTOR.encrypt)).toBe(false)
  })

  it('decrypts a message WeChat itself encrypted (the vector in wechatpy tests/test_crypto.py, WeChat Work format)', () => {
    // wechatpy's test_decrypt_message: token 123456, receive id wx49f0ab532d5d035a.
    const wx = new WechatCrypto(aesKeyOf('kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR') as Buffer, 'wx49f0ab532d5d035a', '123456')
    const encrypt =
      'RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVODGajiFnXBu7mCPatfjsu6IHCrsTyeDXzF6Bv283dGymzxh6ydJRvZsryDyZbLTE7rhnus50qGPMfp2wASFlzEgMW9z1ef/RD8XzaFYgm7iTdaXpXaG4+BiYyolBug/gYNx410cvkKR2/nPwBiT+P4hIiOAQqGp/TywZBtDh1yCF2KOd0gpiMZ5jSw3e29mTvmUHzkVQiMS6td7vXUaWOMZnYZlF3So2SjHnwh4jYFxdgpkHHqIrH/54SNdshoQgWYEvccTKe7FS709/5t6NMxuGhcUGAPOQipvWTT4dShyqio7mlsl5noTrb++x6En749zCpQVhDpbV6GDnTbcX2e8K9QaNWHp91eBdCRxthuL0='
    expect(wx.signatureMatches('74d92dfeb87ba7c714f89d98870ae5eb62dff26d', '1411525903', '461056294', encrypt)).toBe(true)
    const xml = wx.decrypt(encrypt)
    expect(xml).toContain('<Content><![CDATA[test]]></Content>')
    expect(xml).toContain('<FromUserName><![CDATA[messense]]></FromUserName>')
  })

  it('round trip: any text, any length, a fresh random prefix each time', () => {
    for (const xml of ['', 'x', '<xml>' + '长'.repeat(500) + '</xml>', 'a'.repeat(31), 'a'.repeat(32)]) {
      const a = crypto.encrypt(xml)
      expect(crypto.decrypt(a)).toBe(xml)
      expect(Buffer.from(a, 'base64').length % 32).toBe(0)
      expect(crypto.encrypt(xml)).not.toBe(a)
    }
  })

  it('refuses a tampered, truncated, foreign-key or other-AppID message', () => {
    const refused = (enc: string) => {
      try {
        crypto.decrypt(enc)
      } catch (err) {
        expect(err).toBeInstanceOf(WechatCryptoError)
        return (err as Error).message
      }
      throw new Error('decrypted')
    }
    const bytes = Buffer.from(VECTOR.encrypt, 'base64')
    // The last byte changed: the padding no longer reads as PKCS#7.
    const lastFlipped = Buffer.from(bytes)
    lastFlipped[lastFlipped.length - 1]! ^= 0x01
    expect(refused(lastFlipped.toString('base64'))).toMatch(/padding/)
    // CBC flips the same bit one block (16 bytes) later: ciphertext byte 52 is the AppID's first byte (plaintext 68).
    const appIdFlipped = Buffer.from(bytes)
    appIdFlipped[52]! ^= 0x01
    expect(refused(appIdFlipped.toString('base64'))).toMatch(/AppID/)
    // The scheme has no MAC: a change inside the XML's blocks decrypts to other XML. What
    // catches it is msg_signature, which covers Encrypt and is checked before decrypting.
    const xmlFlipped = Buffer.from(bytes)
    xmlFlipped[40]! ^= 0x01
    expect(crypto.decrypt(xmlFlipped.toString('base64'))).not.toBe(VECTOR.xml)
    expect(crypto.signatureMatches(VECTOR.msgSignature, '1700000000', '123', xmlFlipped.toString('base64'))).toBe(false)
    expect(refused(bytes.subarray(0, 48).toString('base64'))).toMatch(/blocks/)
    expect(refused('not base64!')).toMatch(/base64/)
    expect(refused('')).toMatch(/base64/)
    const otherApp = new WechatCrypto(key, 'wxffffffffffffffff', 'tok')
    expect(refused(otherApp.encrypt(VECTOR.xml))).toMatch(/AppID/)
    const otherKey = new WechatCrypto(aesKeyOf('ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefg') as Buffer, 'wx0123456789abcdef', 'tok')
    expect(refused(otherKey.encrypt(VECTOR.xml))).toMatch(/padding|AppID|length/)
  })

  it('wraps a passive reply as <xml><Encrypt/><MsgSignature/><TimeStamp/><Nonce/></xml>', () => {
    const reply = crypto.wrapReply(VECTOR.xml, '1700000000', '123', VECTOR.random)
    expect(reply).toBe(`<xml><Encrypt><![CDATA[${VECTOR.encrypt}]]></Encrypt><MsgSignature><![CDATA[${VECTOR.msgSignature}]]></MsgSignature><TimeStamp>1700000000</TimeStamp><Nonce><![CDATA[123]]></Nonce></xml>`)
  })
})

describe('a changed EncodingAESKey: the previous one opens what was sealed before the change', () => {
  // The console's 修改 EncodingAESKey: messages sealed with the old key still arrive for a while.
  const OLD = aesKeyOf('ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefg') as Buffer
  const APP = 'wx0123456789abcdef'
  const changed = new WechatCrypto(key, APP, 'tok', OLD)
  /** WeChat's side before and after the change, and someone with a third key: openssl-checked single-key code (VECTOR above). */
  const sealedNew = new WechatCrypto(key, APP, 'tok')
  const sealedOld = new WechatCrypto(OLD, APP, 'tok')
  const stranger = new WechatCrypto(aesKeyOf('0123456789abcdefghijklmnopqrstuvwxyzABCDEFG') as Buffer, APP, 'tok')

  it('the current key opens what it sealed, without trying the previous one', () => {
    expect(changed.open(VECTOR.encrypt)).toEqual({xml: VECTOR.xml, key: 'current'})
    expect(changed.open(sealedNew.encrypt('<xml>new</xml>'))).toEqual({xml: '<xml>new</xml>', key: 'current'})
  })

  it('the previous key opens a message sealed before the change, and says so', () => {
    const encrypt = sealedOld.encrypt('<xml>sent before the change</xml>')
    expect(() => sealedNew.decrypt(encrypt)).toThrow(WechatCryptoError)
    expect(changed.open(encrypt)).toEqual({xml: '<xml>sent before the change</xml>', key: 'previous'})
    expect(changed.decrypt(encrypt)).toBe('<xml>sent before the change</xml>')
  })

  it('neither key: refused with the current key’s WechatCryptoError, as without a previous key', () => {
    for (const encrypt of [stranger.encrypt(VECTOR.xml), new WechatCrypto(OLD, 'wxffffffffffffffff', 'tok').encrypt(VECTOR.xml), 'not base64!', Buffer.alloc(48).toString('base64')]) {
      let alone = ''
      try {
        sealedNew.decrypt(encrypt)
      } catch (err) {
        alone = (err as Error).message
      }
      expect(alone).not.toBe('')
      expect(() => changed.open(encrypt)).toThrow(WechatCryptoError)
      expect(() => changed.open(encrypt)).toThrow(alone)
    }
  })

  it('a reply is sealed with the current key unless it answers a message the previous key opened', () => {
    const reply = parseReply(changed.wrapReply(VECTOR.xml, '1700000000', '123', VECTOR.random))
    // Byte for byte the openssl vector: the current key, whatever the previous one is.
    expect(reply.encrypt).toBe(VECTOR.encrypt)
    expect(reply.signature).toBe(VECTOR.msgSignature)
    expect(sealedNew.decrypt(reply.encrypt)).toBe(VECTOR.xml)
    expect(() => sealedOld.decrypt(reply.encrypt)).toThrow(WechatCryptoError)
    // 回包时，用哪个Key解密成功，则用此Key加密对应的回包: WeChat reads it with the key it sealed the message with.
    const toOld = parseReply(changed.wrapReply(VECTOR.xml, '1700000000', '123', undefined, 'previous'))
    expect(sealedOld.decrypt(toOld.encrypt)).toBe(VECTOR.xml)
    expect(() => sealedNew.decrypt(toOld.encrypt)).toThrow(WechatCryptoError)
    expect(toOld.signature).toBe(wechatMsgSignature('tok', '1700000000', '123', toOld.encrypt))
    // Without a previous key there is nothing to seal with.
    expect(() => sealedNew.encrypt(VECTOR.xml, undefined, 'previous')).toThrow(/no previous EncodingAESKey/)
  })
})

function parseReply(xml: string): {encrypt: string; signature: string} {
  const m = /^<xml><Encrypt><!\[CDATA\[([^\]]+)\]\]><\/Encrypt><MsgSignature><!\[CDATA\[([0-9a-f]{40})\]\]><\/MsgSignature>/.exec(xml)
  if (!m) throw new Error(`not a sealed reply: ${xml}`)
  return {encrypt: m[1]!, signature: m[2]!}
}

describe('the EncodingAESKey file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'callctl-wxkey-'))
  const file = (name: string, text: string, mode = 0o600) => {
    const f = join(dir, name)
    writeFileSync(f, text, {mode})
    chmodSync(f, mode)
    return f
  }
  const S = 'channels.wechat.encodingAesKeyFile'

  it('reads a key of 43 base64 characters on one line', () => {
    const r = readEncodingAesKey(file('good', `\n${ENCODING_AES_KEY}\n`), S)
    expect(r.key.toString('hex')).toBe(VECTOR.keyHex)
    expect(r.loose).toBe(false)
    expect(readEncodingAesKey(file('loose', ENCODING_AES_KEY, 0o644), S).loose).toBe(true)
  })

  it('points at the line and column of what is wrong, and never prints the key', () => {
    const wrong = (name: string, text: string) => {
      try {
        readEncodingAesKey(file(name, text), S)
      } catch (err) {
        const msg = (err as Error).message
        if (text.trim() !== '') expect(msg).not.toContain(text.trim().slice(0, 20))
        return msg
      }
      throw new Error('accepted')
    }
    expect(wrong('short', ENCODING_AES_KEY.slice(0, 42) + '\n')).toMatch(/short:1:43: channels\.wechat\.encodingAesKeyFile: not an EncodingAESKey: it is 42 characters, not 43/)
    expect(wrong('long', ENCODING_AES_KEY + 'H\n')).toMatch(/long:1:44: .*it is 44 characters/)
    expect(wrong('badchar', '\n  abcd-fghijklmnopqrstuvwxyz0123456789ABCDEFG\n')).toMatch(/badchar:2:7: .*character 5 is not a base64 letter or digit/)
    expect(wrong('two', `${ENCODING_AES_KEY}\n${ENCODING_AES_KEY}\n`)).toMatch(/two:2:1: .*the file's only line/)
    expect(wrong('empty', '\n')).toMatch(/empty:1:1: .*empty/)
    expect(() => readEncodingAesKey(join(dir, 'missing'), S)).toThrow(/channels\.wechat\.encodingAesKeyFile: .*missing cannot be read/)
  })
})

describe('channels.wechat.mode in the engine config', () => {
  const dir = mkdtempSync(join(tmpdir(), 'callctl-wxcfg-'))
  const load = (text: string) => {
    writeFileSync(join(dir, 'config.yaml'), text)
    return loadEngineConfig({file: join(dir, 'config.yaml'), env: {CALLCTL_HOME: dir, CALLCTL_ARI_PASSWORD: 'pw'}})
  }

  it('defaults to plain, the key file to secrets/wechat-aes-key', () => {
    const w = load('channels:\n  wechat: {}\n').channels!.wechat!
    expect(w.mode).toBe('plain')
    expect(w.encodingAesKeyFile).toMatch(/secrets\/wechat-aes-key$/)
    expect(load('channels:\n  wechat: {mode: safe, appId: wx1, encodingAesKeyFile: /etc/k}\n').channels!.wechat).toMatchObject({mode: 'safe', appId: 'wx1', appSecretFile: null, encodingAesKeyFile: '/etc/k', previousEncodingAesKeyFile: null})
    expect(load('channels:\n  wechat: {mode: safe, appId: wx1, previousEncodingAesKeyFile: /etc/k.old}\n').channels!.wechat!.previousEncodingAesKeyFile).toBe('/etc/k.old')
  })

  it('points at the line and column of a mistake', () => {
    expect(() => load('channels:\n  wechat:\n    mode: secure\n')).toThrow(/config\.yaml:3:11: channels\.wechat\.mode must be one of plain, compatible, safe, got "secure"/)
    expect(() => load('channels:\n  wechat:\n    mode: compatible\n')).toThrow(/config\.yaml:3:11: channels\.wechat\.mode compatible needs appId/)
    expect(() => load('channels:\n  wechat:\n    encodingAesKeyFile: 7\n')).toThrow(/config\.yaml:3:\d+: channels\.wechat\.encodingAesKeyFile is not valid/)
    expect(() => load('channels:\n  wechat:\n    mode: safe\n    appId: wx1\n    previousEncodingAesKeyFile: ""\n')).toThrow(/config\.yaml:5:33: channels\.wechat\.previousEncodingAesKeyFile is not valid: ""/)
    // Plain mode keeps its rule: the customer-service API needs both.
    expect(() => load('channels:\n  wechat:\n    appId: wx1\n')).toThrow(/needs both appId and appSecretFile/)
  })

  it('the engine does not start on a bad key: the key file’s line and column, and what to do', async () => {
    writeFileSync(join(dir, 'aes'), 'abc def\n', {mode: 0o600})
    const c = load(`channels:\n  web: {port: 0}\n  wechat: {mode: safe, appId: wx1, encodingAesKeyFile: ${join(dir, 'aes')}, tokenFile: ${join(dir, 'tok')}}\n`).channels!
    await expect(startChannels(c, new ChatCoreDouble(), silentLogger)).rejects.toThrow(new RegExp(`${join(dir, 'aes')}:1:4: channels\\.wechat\\.encodingAesKeyFile: not an EncodingAESKey: character 4`))
  })

  it('nor on a bad previous key: its own file’s line and column, its setting named, the key not printed', async () => {
    writeFileSync(join(dir, 'aes-now'), `${ENCODING_AES_KEY}\n`, {mode: 0o600})
    const old = ENCODING_AES_KEY.slice(0, 40)
    writeFileSync(join(dir, 'aes-old'), `\n${old}\n`, {mode: 0o600})
    const c = load(`channels:\n  web: {port: 0}\n  wechat: {mode: safe, appId: wx1, encodingAesKeyFile: ${join(dir, 'aes-now')}, previousEncodingAesKeyFile: ${join(dir, 'aes-old')}, tokenFile: ${join(dir, 'tok')}}\n`).channels!
    const err = await startChannels(c, new ChatCoreDouble(), silentLogger).then(
      () => null,
      (e: Error) => e,
    )
    expect(err?.message).toMatch(new RegExp(`${join(dir, 'aes-old')}:2:41: channels\\.wechat\\.previousEncodingAesKeyFile: not an EncodingAESKey: it is 40 characters, not 43`))
    expect(err?.message).not.toContain(old.slice(0, 20))
  })
})
