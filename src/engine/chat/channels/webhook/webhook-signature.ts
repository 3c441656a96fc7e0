import {createHmac, timingSafeEqual} from 'node:crypto'

// The JSON webhook's requests both ways carry X-Callctl-Timestamp (unix seconds) and
// X-Callctl-Signature: sha256=HEX, the HMAC-SHA256 of "TIMESTAMP.BODY" under the shared
// secret: the body cannot be changed, nor an old request replayed after the window.

export function webhookSignature(secret: string, timestamp: string, body: string | Buffer): string {
  return 'sha256=' + createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex')
}

export function webhookRefusal(headers: {timestamp?: string; signature?: string}, body: Buffer, secret: string, nowMs: number, maxSkewS = 300): string | null {
  const ts = headers.timestamp ?? ''
  const sig = headers.signature ?? ''
  if (!/^[0-9]{1,12}$/.test(ts) || !/^sha256=[0-9a-f]{64}$/.test(sig)) return 'missing or malformed X-Callctl-Timestamp or X-Callctl-Signature'
  const expected = Buffer.from(webhookSignature(secret, ts, body))
  if (!timingSafeEqual(expected, Buffer.from(sig))) return 'signature does not match'
  if (Math.abs(nowMs / 1000 - Number(ts)) > maxSkewS) return `timestamp more than ${maxSkewS} s from now`
  return null
}
