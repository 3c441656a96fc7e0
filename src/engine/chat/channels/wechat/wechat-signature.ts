import {createHash, timingSafeEqual} from 'node:crypto'

// WeChat signs each request to the account's server URL with the token both sides
// share: sha1 of token, timestamp and nonce sorted as strings and joined. A request
// whose signature differs is forged; one whose timestamp is far from now is a replay.

export function wechatSignature(token: string, timestamp: string, nonce: string): string {
  return createHash('sha1').update([token, timestamp, nonce].sort().join('')).digest('hex')
}

/** Why a request is refused, or null when it is WeChat's. */
export function wechatRefusal(q: URLSearchParams, token: string, nowMs: number, maxSkewS: number): string | null {
  const signature = q.get('signature') ?? ''
  const timestamp = q.get('timestamp') ?? ''
  const nonce = q.get('nonce') ?? ''
  if (!/^[0-9a-f]{40}$/.test(signature) || !/^[0-9]{1,12}$/.test(timestamp) || !/^[A-Za-z0-9_-]{1,64}$/.test(nonce)) return 'missing or malformed signature, timestamp or nonce'
  const expected = Buffer.from(wechatSignature(token, timestamp, nonce), 'hex')
  if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) return 'signature does not match'
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > maxSkewS) return `timestamp more than ${maxSkewS} s from now`
  return null
}
