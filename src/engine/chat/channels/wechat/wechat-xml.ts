// WeChat's messages are one flat <xml> element of named text fields. This reads only
// that shape, by hand, with no XML library behind it: no DOCTYPE, no entities beyond the
// five predefined and character references, no processing instructions but the
// declaration, a depth and a field limit. Anything else is refused, so an entity
// expansion or an external entity has nowhere to happen.

export type WechatFields = Record<string, string>

const MAX_FIELDS = 64
const MAX_DEPTH = 3

export class WechatXmlError extends Error {}

export function parseWechatXml(src: string): WechatFields {
  let i = 0
  const fail = (why: string): never => {
    throw new WechatXmlError(`${why} at offset ${i}`)
  }
  const skipSpace = () => {
    while (i < src.length && /\s/.test(src[i]!)) i++
  }
  skipSpace()
  if (src.startsWith('<?xml', i)) {
    const end = src.indexOf('?>', i)
    if (end < 0) fail('unterminated declaration')
    i = end + 2
    skipSpace()
  }
  const fields: WechatFields = {}
  let count = 0
  const name = (): string => {
    const m = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}/.exec(src.slice(i, i + 64))
    if (!m) fail('bad element name')
    i += m![0].length
    return m![0]
  }
  /** One element from its '<'; its text when it holds only text, else null. */
  const element = (depth: number): {tag: string; text: string | null} => {
    if (depth > MAX_DEPTH) fail('nested too deep')
    if (src[i] !== '<') fail('expected an element')
    i++
    const tag = name()
    skipSpace()
    if (src.startsWith('/>', i)) {
      i += 2
      return {tag, text: ''}
    }
    if (src[i] !== '>') fail('attributes are not accepted')
    i++
    let text = ''
    let nested = false
    for (;;) {
      if (i >= src.length) fail(`unterminated <${tag}>`)
      if (src.startsWith('<![CDATA[', i)) {
        const end = src.indexOf(']]>', i + 9)
        if (end < 0) fail('unterminated CDATA')
        text += src.slice(i + 9, end)
        i = end + 3
      } else if (src.startsWith('</', i)) {
        i += 2
        if (name() !== tag) fail(`</${tag}> expected`)
        skipSpace()
        if (src[i] !== '>') fail('bad end tag')
        i++
        return {tag, text: nested ? null : text}
      } else if (src.startsWith('<!', i) || src.startsWith('<?', i)) {
        fail('declarations, comments and processing instructions are not accepted')
      } else if (src[i] === '<') {
        nested = true
        const child = element(depth + 1)
        if (depth === 0 && child.text !== null) {
          if (++count > MAX_FIELDS) fail('too many fields')
          fields[child.tag] = child.text
        }
      } else {
        const next = src.indexOf('<', i)
        if (next < 0) fail(`unterminated <${tag}>`)
        text += decodeText(src.slice(i, next), fail)
        i = next
      }
    }
  }
  const root = element(0)
  if (root.tag !== 'xml') fail('the root must be <xml>')
  skipSpace()
  if (i !== src.length) fail('content after </xml>')
  return fields
}

const NAMED: Record<string, string> = {lt: '<', gt: '>', amp: '&', quot: '"', apos: "'"}

function decodeText(s: string, fail: (why: string) => never): string {
  return s.replace(/&([^;]{0,10});?/g, (all, ref: string) => {
    if (!all.endsWith(';')) fail('bare & in text')
    if (NAMED[ref] !== undefined) return NAMED[ref]!
    const m = /^#(x[0-9A-Fa-f]{1,6}|[0-9]{1,7})$/.exec(ref)
    if (!m) fail(`unknown entity &${ref};`)
    const cp = m![1]!.startsWith('x') ? parseInt(m![1]!.slice(1), 16) : Number(m![1])
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) fail('bad character reference')
    return String.fromCodePoint(cp)
  })
}

/** A passive reply: one flat <xml> of CDATA fields (numbers as they are). */
export function wechatXml(fields: Record<string, string | number>): string {
  const body = Object.entries(fields)
    .map(([k, v]) => (typeof v === 'number' ? `<${k}>${v}</${k}>` : `<${k}><![CDATA[${v.replaceAll(']]>', ']]]]><![CDATA[>')}]]></${k}>`))
    .join('')
  return `<xml>${body}</xml>`
}
