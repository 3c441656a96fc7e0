import {createHash, createHmac} from 'node:crypto'
import {describe, expect, it} from 'vitest'
import {charCount, cleanLine, cleanNumber, cleanText} from '../../src/engine/chat/channels/clean-text.js'
import {imageTypeOf} from '../../src/engine/chat/channels/web/image-type.js'
import {parseFrame} from '../../src/engine/chat/channels/web/web-protocol.js'
import {parseWechatXml, wechatXml} from '../../src/engine/chat/channels/wechat/wechat-xml.js'
import {wechatRefusal} from '../../src/engine/chat/channels/wechat/wechat-signature.js'
import {toCustom, toInbound} from '../../src/engine/chat/channels/wechat/wechat-channel.js'
import {WebhookChannel} from '../../src/engine/chat/channels/webhook/webhook-channel.js'
import {webhookRefusal} from '../../src/engine/chat/channels/webhook/webhook-signature.js'
import {ChatCoreDouble} from '../support/chat-core-double.js'
import {createLogger} from '../../src/engine/util/log.js'

const quiet = createLogger({level: 'error', write: () => {}})

describe('customer text at the channel edge', () => {
  it('takes out terminal escapes, other controls, bidi overrides and half surrogates; keeps emoji, CJK, newlines', () => {
    // Escape sequences go whole, payload included (misuse report 21: `[31m红]0;X` stayed in the desk and transcripts).
    expect(cleanText('\u001b[2J\u001b]0;pwned\u0007hi\u0000 there\u009b31m')).toBe('hi there')
    expect(cleanText('\u001b[31m红\u001b]0;X\u0007=cmd 清屏\u001b[2J\u001b[H\u001b]52;c;aGk=\u0007 ok')).toBe('红=cmd 清屏 ok')
    expect(cleanText('a\r\nb\rc\td')).toBe('a\nb\nc\td')
    expect(cleanText('abc\u202Egnp.exe')).toBe('abcgnp.exe')
    expect(cleanText('x\uD800y\uDC00z')).toBe('x\uFFFDy\uFFFDz')
    expect(cleanText('  你好 👨‍👩‍👧 🙂\n')).toBe('你好 👨‍👩‍👧 🙂')
    expect(charCount('👍👍')).toBe(2)
  })
  it('names are one line, bounded; numbers are digits as people type them', () => {
    expect(cleanLine('Zhang\nSan\u001b[31m', 80)).toBe('Zhang San')
    expect([...cleanLine('名'.repeat(200), 80)].length).toBe(80)
    expect(cleanNumber('+86 138-0013-8000')).toBe('+86 138-0013-8000')
    expect(cleanNumber('<script>')).toBeNull()
  })
})

describe('images by their bytes', () => {
  it('knows PNG, JPEG, GIF, WebP by magic and nothing by name', () => {
    expect(imageTypeOf(Buffer.from('89504e470d0a1a0a0000', 'hex'))).toBe('image/png')
    expect(imageTypeOf(Buffer.from('ffd8ffe000104a464946', 'hex'))).toBe('image/jpeg')
    expect(imageTypeOf(Buffer.from('GIF89a....'))).toBe('image/gif')
    expect(imageTypeOf(Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WEBPVP8 ')]))).toBe('image/webp')
    expect(imageTypeOf(Buffer.from('<svg onload=alert(1)>'))).toBeNull()
    expect(imageTypeOf(Buffer.from('<html><script>alert(1)</script>'))).toBeNull()
    expect(imageTypeOf(Buffer.from('89504e47', 'hex'))).toBeNull()
    expect(imageTypeOf(Buffer.alloc(0))).toBeNull()
  })
})

describe('widget frames', () => {
  it('refuses what is not one of its frames', () => {
    expect(parseFrame('{"type":"text","id":"a1","text":"hi"}')).toEqual({type: 'text', id: 'a1', text: 'hi'})
    expect(parseFrame('nope')).toEqual({refused: 'not JSON'})
    expect(parseFrame('[1]')).toEqual({refused: 'not an object'})
    expect(parseFrame('{"type":"text","id":"<x>","text":"hi"}')).toHaveProperty('refused')
    expect(parseFrame('{"type":"hello","after":-1}')).toHaveProperty('refused')
    expect(parseFrame('{"type":"__proto__"}')).toHaveProperty('refused')
  })
})

describe('WeChat XML', () => {
  const text = `<xml><ToUserName><![CDATA[gh_123]]></ToUserName><FromUserName><![CDATA[oUser_1]]></FromUserName><CreateTime>1348831860</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[你好 <b>]]></Content><MsgId>1234567890123456</MsgId></xml>`
  it('reads the documented message', () => {
    expect(parseWechatXml(text)).toEqual({ToUserName: 'gh_123', FromUserName: 'oUser_1', CreateTime: '1348831860', MsgType: 'text', Content: '你好 <b>', MsgId: '1234567890123456'})
    expect(parseWechatXml('<?xml version="1.0"?>\n<xml>\n <A>x &amp; &#20320;</A>\n <Nested><B>1</B></Nested>\n</xml>\n')).toEqual({A: 'x & 你'})
  })
  it('refuses DOCTYPE, entities, comments, attributes, other roots, trailing content, deep nesting', () => {
    const bad = [
      '<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><A>&x;</A></xml>',
      '<xml><A>&x;</A></xml>',
      '<xml><!-- c --><A>1</A></xml>',
      '<xml><A a="1">1</A></xml>',
      '<root><A>1</A></root>',
      '<xml><A>1</A></xml><xml/>',
      '<xml><A>1</B></xml>',
      '<xml><A><![CDATA[1</A></xml>',
      '<xml>' + '<a>'.repeat(10) + '</a>'.repeat(10) + '</xml>',
      '<xml><A>a & b</A></xml>',
      '',
    ]
    for (const b of bad) expect(() => parseWechatXml(b), b).toThrow()
  })
  it('writes a passive reply whose CDATA cannot be closed by the text', () => {
    const xml = wechatXml({ToUserName: 'o1', CreateTime: 5, Content: 'a]]><x>b'})
    expect(parseWechatXml(xml)).toEqual({ToUserName: 'o1', CreateTime: '5', Content: 'a]]><x>b'})
  })
})

describe('WeChat signature', () => {
  const token = 'tok3n'
  const sign = (ts: string, nonce: string) => createHash('sha1').update([token, ts, nonce].sort().join('')).digest('hex')
  const now = 1_700_000_000_000
  it('accepts WeChat’s, refuses forged, stale and malformed', () => {
    const ts = String(now / 1000)
    expect(wechatRefusal(new URLSearchParams({signature: sign(ts, 'n1'), timestamp: ts, nonce: 'n1'}), token, now, 300)).toBeNull()
    expect(wechatRefusal(new URLSearchParams({signature: sign(ts, 'n1'), timestamp: ts, nonce: 'n2'}), token, now, 300)).toBe('signature does not match')
    const old = String(now / 1000 - 301)
    expect(wechatRefusal(new URLSearchParams({signature: sign(old, 'n1'), timestamp: old, nonce: 'n1'}), token, now, 300)).toMatch(/timestamp/)
    expect(wechatRefusal(new URLSearchParams({timestamp: ts, nonce: 'n1'}), token, now, 300)).toMatch(/missing/)
  })
})

describe('WeChat messages to the chat core and back', () => {
  const base = {ToUserName: 'gh_1', FromUserName: 'oAbc_123', CreateTime: '1700000000'}
  it('text, image, menu choice, subscribe, CLICK; other kinds are not taken', () => {
    expect(toInbound({...base, MsgType: 'text', Content: 'hi\u001b[31m', MsgId: '42'})).toEqual({channel: 'wechat', customer: 'oAbc_123', text: 'hi', channelMessageId: '42'})
    expect(toInbound({...base, MsgType: 'text', Content: '满意', bizmsgmenuid: '101', MsgId: '43'})).toMatchObject({event: 'button', payload: '101'})
    expect(toInbound({...base, MsgType: 'image', PicUrl: 'http://mmbiz.qpic.cn/x', MediaId: 'm', MsgId: '44'})).toMatchObject({image: {url: 'http://mmbiz.qpic.cn/x', mime: 'image/jpeg'}})
    expect(toInbound({...base, MsgType: 'image', PicUrl: 'javascript:alert(1)', MsgId: '45'})).toBeNull()
    expect(toInbound({...base, MsgType: 'event', Event: 'subscribe'})).toMatchObject({event: 'subscribe', channelMessageId: 'oAbc_123:1700000000:subscribe'})
    expect(toInbound({...base, MsgType: 'event', Event: 'CLICK', EventKey: 'V1001_HELP'})).toMatchObject({event: 'button', payload: 'V1001_HELP'})
    expect(toInbound({...base, MsgType: 'voice', MediaId: 'm'})).toBeNull()
    expect(toInbound({...base, FromUserName: '../x', MsgType: 'text', Content: 'x'})).toBeNull()
  })
  it('buttons become a menu message, text is cut to what WeChat shows', () => {
    const m = {conversation: 'C1', seq: 2, ts: 0, from: 'bot' as const, kind: 'rating-request' as const, text: 'How did we do?', buttons: [{key: '5', label: 'Great'}, {key: '1', label: 'Bad'}]}
    expect(toCustom('o1', m)).toEqual({touser: 'o1', msgtype: 'msgmenu', msgmenu: {head_content: 'How did we do?', list: [{id: '5', content: 'Great'}, {id: '1', content: 'Bad'}], tail_content: ''}})
    const long = toCustom('o1', {conversation: 'C1', seq: 3, ts: 0, from: 'agent', agentName: 'Li', kind: 'text', text: '长'.repeat(5000)})
    expect(long?.msgtype).toBe('text')
    expect(Buffer.byteLength((long as {text: {content: string}}).text.content)).toBeLessThanOrEqual(2000)
  })
})

describe('JSON webhook', () => {
  it('takes exactly one of text, image, event, and checks each', () => {
    const ch = new WebhookChannel({core: new ChatCoreDouble(), log: quiet, secret: 's', url: null, timeoutMs: 1000, maxTextChars: 10})
    const b = (v: unknown) => ch.inbound(Buffer.from(JSON.stringify(v)))
    expect(b({customer: 'u1', text: ' hi ', name: 'A\u001bB', id: 'm-1'})).toEqual({channel: 'webhook', customer: 'u1', text: 'hi', name: 'A', channelMessageId: 'm-1'})
    expect(b({customer: 'u1', text: 'x'.repeat(11)})).toMatch(/over 10/)
    expect(b({customer: 'u1', text: 'a', event: 'open'})).toMatch(/exactly one/)
    expect(b({customer: 'u 1', text: 'a'})).toMatch(/customer/)
    expect(b({customer: 'u1', event: 'explode'})).toMatch(/event must be/)
    expect(b({customer: 'u1', image: {url: 'file:///etc/passwd', mime: 'image/png'}})).toMatch(/image must be/)
    expect(ch.inbound(Buffer.from('{'))).toBe('the body is not JSON')
  })
  it('signature over timestamp and body; stale refused', () => {
    const body = Buffer.from('{"customer":"u1","text":"hi"}')
    const now = 1_700_000_000_000
    const ts = String(now / 1000)
    const sig = 'sha256=' + createHmac('sha256', 'k').update(`${ts}.`).update(body).digest('hex')
    expect(webhookRefusal({timestamp: ts, signature: sig}, body, 'k', now)).toBeNull()
    expect(webhookRefusal({timestamp: ts, signature: sig}, Buffer.from('{"customer":"u2","text":"hi"}'), 'k', now)).toBe('signature does not match')
    expect(webhookRefusal({timestamp: ts, signature: sig}, body, 'k', now + 301_000)).toMatch(/timestamp/)
    expect(webhookRefusal({timestamp: ts}, body, 'k', now)).toMatch(/missing/)
  })
})
