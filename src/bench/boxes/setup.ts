import {readdirSync, readFileSync, mkdtempSync, rmSync} from 'node:fs'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {AriHttp} from '../../engine/ari/index.js'
import {sandboxDown, sandboxUp} from '../../engine/sandbox/sandbox.js'
import {boxesOf, type SandboxState} from '../../engine/sandbox/state.js'
import {boxHttpPorts} from '../../engine/sandbox/layout.js'
import {createLogger} from '../../engine/util/log.js'
import {callctlPaths} from '../../engine/util/paths.js'
import type {SipAddress} from '../sip/sipp.js'

// One setup of bench:boxes: a sandbox of the bench's own (its own CALLCTL_HOME and ports,
// CEL on) with one box and no proxy, as bench:load --sip runs, or several boxes behind
// Kamailio (sandbox up --boxes N --proxy). What the rest of the bench needs of it: each
// box's ARI, process and CEL file, the proxy's processes, where the carrier's calls go
// and from which address, and where phones register.

export interface BenchBox {
  name: string
  pid: number
  rest: AriHttp
  celFile: string
  sip: SipAddress
}

export interface BoxesSetup {
  /** "one box" or "2 boxes + proxy". */
  label: string
  home: string
  state: SandboxState
  boxes: BenchBox[]
  /** Kamailio's main process (its workers are its children); null without the proxy. */
  proxyPid: number | null
  /** Where SIPp callers send their INVITEs, and the address they must send from (the carrier's). */
  callers: {remote: SipAddress; local: SipAddress}
  /** Where the bench's phones register (the box, or the proxy). */
  registrar: SipAddress
  /** How long a registration lasts here: the proxy caps it; the phones refresh before. */
  registrationS: number
  down(): Promise<void>
}

/** Asterisk's AOR minimum_expiration for callctl's phones, and the proxy's cap: phones refresh within it on both setups. */
const ONE_BOX_REGISTRATION_S = 10

export async function boxesSetup(o: {boxes: number; proxy: boolean}): Promise<BoxesSetup> {
  const home = mkdtempSync(join(tmpdir(), 'callctl-bench-boxes-'))
  const paths = callctlPaths({...process.env, CALLCTL_HOME: home})
  let state: SandboxState
  try {
    state = (await sandboxUp(paths, {port: await freeHttpPorts(o.boxes), boxes: o.boxes, proxy: o.proxy, cel: true, log: createLogger({level: 'warn'})})).state
  } catch (err) {
    // A part that did start (a box before the proxy failed) goes down with the home.
    await sandboxDown(paths, {force: true}).catch(() => undefined)
    rmSync(home, {recursive: true, force: true})
    throw err
  }
  const password = readFileSync(state.passwordFile, 'utf8').trim()
  const boxes = boxesOf(state).map((b) => ({
    name: b.name,
    pid: b.pid,
    rest: new AriHttp({url: b.ariUrl, user: state.ariUser, password}),
    celFile: join(state.root, b.instanceDir, 'log', 'cel.csv'),
    sip: {host: b.sip.host, port: b.sip.port},
  }))
  const box1 = boxesOf(state)[0]!
  const p = state.proxy
  return {
    label: p ? `${boxes.length} boxes + proxy` : boxes.length === 1 ? 'one box' : `${boxes.length} boxes`,
    home,
    state,
    boxes,
    proxyPid: p?.pid ?? null,
    callers: p ? {remote: {host: p.host, port: p.carrierPort}, local: p.carrier} : {remote: {host: box1.sip.host, port: box1.sip.port}, local: box1.sip.carrier},
    registrar: p ? {host: p.host, port: p.port} : {host: box1.sip.host, port: box1.sip.port},
    registrationS: p?.registrationS ?? ONE_BOX_REGISTRATION_S,
    async down() {
      await sandboxDown(paths, {force: true})
      for (const b of boxesOf(state)) rmSync(join(state.root, b.instanceDir), {recursive: true, force: true})
      rmSync(home, {recursive: true, force: true})
    },
  }
}

/** The main process and every process below it (Kamailio's workers are children of its main process). */
export function processTree(pid: number): number[] {
  const parent = new Map<number, number>()
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      // Field 4 (ppid), counted from the command name's last ")".
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      parent.set(Number(name), ppid)
    } catch {
      // gone meanwhile
    }
  }
  const tree = [pid]
  for (let i = 0; i < tree.length; i++) for (const [child, p] of parent) if (p === tree[i]) tree.push(child)
  return tree
}

/** `n` consecutive free TCP ports on 127.0.0.1 (each box's HTTP/ARI port follows the one before). */
async function freeHttpPorts(n: number): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const first = 20_000 + Math.floor(Math.random() * 20_000)
    let ok = true
    for (const port of boxHttpPorts(first, n)) ok = ok && (await tcpFree(port))
    if (ok) return first
  }
  throw new Error(`no first port with ${n} boxes' HTTP ports free on 127.0.0.1`)
}

function tcpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer()
    srv.once('error', () => resolve(false))
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)))
  })
}
