import {spawn} from 'node:child_process'
import {accessSync, constants} from 'node:fs'
import {delimiter, join} from 'node:path'

// The two escape sequences the desk writes on purpose: a hyperlink (OSC 8) and a copy to
// the clipboard (OSC 52). Both carry only text the desk built itself (the CRM template of
// the engine's config with URL-encoded values, an answer of the knowledge base): outside
// text never reaches them unencoded.

const OSC = '\u001b]'
const ST = '\u001b\\'

/** `text` as a link to `url` where the terminal supports OSC 8, plain text elsewhere. */
export function hyperlink(url: string, text: string): string {
  return `${OSC}8;;${inert(url)}${ST}${text}${OSC}8;;${ST}`
}

/** Puts `text` on the system clipboard through the terminal (OSC 52; tmux: set-clipboard on). */
export function copySequence(text: string): string {
  return `${OSC}52;c;${Buffer.from(text, 'utf8').toString('base64')}\u0007`
}

/** The CRM link of a customer: the template's {number}, {contact} and {call}, URL-encoded. */
export function crmUrl(template: string, v: {number: string; contact: string | null; call: string | null}): string {
  return template.replace(/\{(number|contact|call)\}/g, (_, k: 'number' | 'contact' | 'call') => encodeURIComponent(v[k] ?? ''))
}

/** Opens the URL with xdg-open (or open on macOS) when there is one; false when there is none. */
export function openUrl(url: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const opener = process.platform === 'darwin' ? 'open' : 'xdg-open'
  if (!onPath(opener, env.PATH ?? '')) return false
  const child = spawn(opener, [url], {detached: true, stdio: 'ignore'})
  child.on('error', () => undefined)
  child.unref()
  return true
}

function onPath(cmd: string, path: string): boolean {
  return path.split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, cmd), constants.X_OK)
      return true
    } catch {
      return false
    }
  })
}

/** A URL with no byte that could end the sequence early or start another. */
function inert(url: string): string {
  return url.replace(/[\u0000-\u001f\u007f-\u009f]/g, '')
}
