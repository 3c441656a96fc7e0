import {createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual} from 'node:crypto'
import {readFileSync, statSync} from 'node:fs'
import {ConfigError} from '../../../config/yaml-errors.js'
import {UserError} from '../../../util/errors.js'

// WeChat's message encryption (消息加解密) for an official account in compatible (兼容模式)
// or safe mode (安全模式). The format, as WeChat documents it ("消息加解密说明 / 技术方案",
// developers.weixin.qq.com/doc/oplatform/Third-party_Platforms/Message_Encryption/Technical_Plan.html)
// and as its WXBizMsgCrypt samples and wechatpy's wechatpy/crypto/base.py implement it:
//
// - The EncodingAESKey is 43 characters; the AES key is Base64_Decode(EncodingAESKey + "="),
//   32 bytes. AES-256-CBC, the IV the key's first 16 bytes.
// - Plaintext: 16 random bytes, the XML's length as 4 bytes in network order, the XML,
//   the AppID; padded PKCS#7 to a multiple of 32 bytes (not AES's 16); Encrypt is the
//   ciphertext in base64.
// - The request's URL carries encrypt_type=aes and msg_signature = sha1 of token,
//   timestamp, nonce and Encrypt sorted as strings and joined (besides the plain
//   signature over token, timestamp and nonce).
// - A passive reply is encrypted the same way and sent as
//   <xml><Encrypt/><MsgSignature/><TimeStamp/><Nonce/></xml>.
// - The console can change the EncodingAESKey. The technical plan (加密解密技术方案, the item
//   on 修改 EncodingAESKey; also developers.weixin.qq.com/doc/oplatform/Third-party_Platforms/
//   2.0/api/Before_Develop/Technical_Plan.html) and the FAQ (消息加解密功能开发者FAQ, 常见错误)
//   say: keep the current and the previous key, try the previous one when the current one
//   fails to decrypt, and seal the reply with the key that decrypted the message (回包时，用
//   哪个Key解密成功，则用此Key加密对应的回包). Messages sealed before the change still arrive.

const BLOCK = 32
const KEY_CHARS = 43
const BASE64_CHAR = /[A-Za-z0-9+/]/

/** Why an encrypted message is refused; the words go to the log and the refusal counts. */
export class WechatCryptoError extends Error {}

export function wechatMsgSignature(token: string, timestamp: string, nonce: string, encrypt: string): string {
  return createHash('sha1').update([token, timestamp, nonce, encrypt].sort().join('')).digest('hex')
}

/** Which EncodingAESKey opened a message: the reply to it is sealed with the same one. */
export type WechatKeyUsed = 'current' | 'previous'

export class WechatCrypto {
  private readonly keys: Record<WechatKeyUsed, Buffer | null>

  /** `previousKey`: the AES key of the EncodingAESKey before the console's last change, or null. */
  constructor(
    key: Buffer,
    private readonly appId: string,
    private readonly token: string,
    previousKey: Buffer | null = null,
  ) {
    if (key.length !== 32 || (previousKey && previousKey.length !== 32)) throw new Error('the AES key must be 32 bytes')
    this.keys = {current: key, previous: previousKey}
  }

  /** Encrypt's base64 for this XML; `random` is WeChat's 16 random bytes (fixed only in tests). */
  encrypt(xml: string, random: Buffer = randomBytes(16), keyUsed: WechatKeyUsed = 'current'): string {
    const key = this.key(keyUsed)
    const body = Buffer.from(xml, 'utf8')
    const length = Buffer.alloc(4)
    length.writeUInt32BE(body.length)
    const plain = Buffer.concat([random, length, body, Buffer.from(this.appId, 'utf8')])
    const pad = BLOCK - (plain.length % BLOCK)
    const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false)
    return Buffer.concat([cipher.update(Buffer.concat([plain, Buffer.alloc(pad, pad)])), cipher.final()]).toString('base64')
  }

  /** The XML inside Encrypt; a WechatCryptoError when it is not base64 of our key's ciphertext, its padding or length is wrong, or it is for another AppID. */
  decrypt(encrypt: string): string {
    return this.open(encrypt).xml
  }

  /**
   * The XML inside Encrypt and the key that opened it: the current key, else the previous
   * one when there is one. When neither opens it, the current key's WechatCryptoError.
   */
  open(encrypt: string): {xml: string; key: WechatKeyUsed} {
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encrypt) || encrypt.length % 4 !== 0) throw new WechatCryptoError('Encrypt is not base64')
    const data = Buffer.from(encrypt, 'base64')
    if (data.length === 0 || data.length % BLOCK !== 0) throw new WechatCryptoError(`Encrypt is not whole ${BLOCK}-byte blocks`)
    try {
      return {xml: this.decryptWith(this.key('current'), data), key: 'current'}
    } catch (err) {
      const previous = this.keys.previous
      if (!(err instanceof WechatCryptoError) || !previous) throw err
      try {
        return {xml: this.decryptWith(previous, data), key: 'previous'}
      } catch {
        throw err
      }
    }
  }

  private key(which: WechatKeyUsed): Buffer {
    const key = this.keys[which]
    if (!key) throw new Error(`no ${which} EncodingAESKey`)
    return key
  }

  private decryptWith(key: Buffer, data: Buffer): string {
    const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false)
    const plain = Buffer.concat([decipher.update(data), decipher.final()])
    const pad = plain[plain.length - 1]!
    if (pad < 1 || pad > BLOCK || !plain.subarray(plain.length - pad).every((b) => b === pad)) throw new WechatCryptoError('bad padding (not our EncodingAESKey, or tampered)')
    const content = plain.subarray(16, plain.length - pad)
    if (content.length < 4) throw new WechatCryptoError('decrypted body too short')
    const length = content.readUInt32BE(0)
    if (length > content.length - 4) throw new WechatCryptoError('decrypted length runs past the body')
    const appId = content.subarray(4 + length)
    const ours = Buffer.from(this.appId, 'utf8')
    if (appId.length !== ours.length || !timingSafeEqual(appId, ours)) throw new WechatCryptoError('AppID in the message does not match channels.wechat.appId')
    return content.subarray(4, 4 + length).toString('utf8')
  }

  /** Whether msg_signature is WeChat's for this Encrypt (constant time). */
  signatureMatches(msgSignature: string, timestamp: string, nonce: string, encrypt: string): boolean {
    if (!/^[0-9a-f]{40}$/.test(msgSignature)) return false
    return timingSafeEqual(Buffer.from(wechatMsgSignature(this.token, timestamp, nonce, encrypt), 'hex'), Buffer.from(msgSignature, 'hex'))
  }

  /** A passive reply as WeChat takes it from an account in compatible or safe mode; `keyUsed`: the key that opened the message it answers. */
  wrapReply(xml: string, timestamp: string, nonce: string, random?: Buffer, keyUsed: WechatKeyUsed = 'current'): string {
    const encrypt = this.encrypt(xml, random, keyUsed)
    const signature = wechatMsgSignature(this.token, timestamp, nonce, encrypt)
    return `<xml><Encrypt><![CDATA[${encrypt}]]></Encrypt><MsgSignature><![CDATA[${signature}]]></MsgSignature><TimeStamp>${timestamp}</TimeStamp><Nonce><![CDATA[${nonce}]]></Nonce></xml>`
  }
}

/** The 32-byte AES key of an EncodingAESKey, or where it is wrong: its 1-based column, and why. */
export function aesKeyOf(encodingAesKey: string): Buffer | {column: number; why: string} {
  for (let i = 0; i < encodingAesKey.length && i < KEY_CHARS; i++) {
    if (!BASE64_CHAR.test(encodingAesKey[i]!)) return {column: i + 1, why: `character ${i + 1} is not a base64 letter or digit`}
  }
  if (encodingAesKey.length !== KEY_CHARS) {
    return {column: Math.min(encodingAesKey.length, KEY_CHARS) + 1, why: `it is ${encodingAesKey.length} characters, not ${KEY_CHARS}`}
  }
  return Buffer.from(encodingAesKey + '=', 'base64')
}

/**
 * Reads the EncodingAESKey from its file (one line, like the other secrets), never
 * printing it: a key that is not 43 characters of base64 is reported at the file's
 * line and column. `loose` says the file can be read by others than its owner.
 */
export function readEncodingAesKey(file: string, setting: string): {key: Buffer; loose: boolean} {
  let text: string
  let loose = false
  try {
    text = readFileSync(file, 'utf8')
    loose = (statSync(file).mode & 0o077) !== 0
  } catch {
    throw new UserError(`${setting}: ${file} cannot be read`, {suggestion: 'Write the EncodingAESKey from the account console (基本配置 → 服务器配置 → 消息加解密密钥) into it, chmod 600.', exitCode: 2, code: 'invalid_config'})
  }
  // Blank lines around the key are allowed; its own line is where a mistake is pointed at.
  const lines = text.split('\n')
  const at = lines.findIndex((l) => l.trim() !== '')
  const suggestion = `Copy the EncodingAESKey (43 letters and digits) from the account console into ${file}, on one line.`
  if (at < 0) throw new ConfigError(file, 1, 1, `${setting}: the file is empty; an EncodingAESKey is 43 characters of base64`, suggestion)
  if (lines.slice(at + 1).some((l) => l.trim() !== '')) throw new ConfigError(file, at + 2, 1, `${setting}: the EncodingAESKey must be the file's only line`, suggestion)
  const line = lines[at]!.replace(/\r$/, '')
  const lead = line.length - line.trimStart().length
  const key = aesKeyOf(line.trim())
  if (!Buffer.isBuffer(key)) throw new ConfigError(file, at + 1, lead + key.column, `${setting}: not an EncodingAESKey: ${key.why} (43 characters of base64)`, suggestion)
  return {key, loose}
}
