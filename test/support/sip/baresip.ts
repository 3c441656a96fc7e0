// baresip (Debian's 1.0, /usr/bin/baresip) as a real registered softphone on the
// sandbox: it answers by itself, plays a sine tone of its own frequency (so a test can
// tell who hears whom), records what it hears to WAV, dials, hangs up, unregisters, or
// dies silently. No vitest import, so a benchmark can use it too.
//
// What baresip 1.0 does that this relies on (probed against the sandbox):
// - Config in its own directory (-f DIR): `config` and `accounts`; missing files are
//   created from templates, so both are written before start.
// - `sip_listen 127.0.0.1:P` also binds TCP P and TLS P + 1: the SIP port is chosen
//   with P + 1 free. `net_interface lo` fails; without it baresip still picks eth0's
//   address for the SDP (c=), which Asterisk reaches locally, and rtp_symmetric
//   covers the rest.
// - `audio_source ausine,FREQ` only works with `ausrc_srate 48000` and
//   `ausrc_channels 2`; without them the call never gets to 200 OK.
// - The `aufile` module of 1.0 is a source only (no player). What the phone hears is
//   recorded by the `sndfile` audio filter instead: per call, snd_path gets
//   dump-<YYYY-MM-DD-hh-mm-ss>-dec.wav (heard) and -enc.wav (sent), 8 kHz mono.
//   The player itself is ALSA's `null` device (no sound card here), which is enough for
//   the decode chain, and so the filter, to run.
// - Control: the `ctrl_tcp` module (netstring-framed JSON on TCP): commands
//   {"command":"dial","params":"9101","token":"t"} get {"response":true,"ok":..,"token"},
//   and call/register events arrive as {"event":true,"type":"CALL_ESTABLISHED",..}.
//   Commands come from the `menu` module: dial (a bare number is completed with the
//   account's domain, i.e. the sandbox), hangup, quit. `quit` unregisters (REGISTER
//   Expires: 0, authenticated) before exiting.
// - stdio.so needs a terminal or a pipe on stdin (epoll on /dev/null fails): not loaded.
// - Registration shows on stdout as "9102@127.0.0.1: {0/UDP/v4} 200 OK (...) [1 binding]"
//   (the "All 1 useragent registered successfully!" line is printed only with stdio.so),
//   which comes before ctrl_tcp can be connected to, so start() watches stdout for it.
import {spawn, type ChildProcess} from 'node:child_process'
import {createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {connect, type Socket} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {ended, running, track} from './children.js'
import {freeUdpPort} from './ports.js'
import type {SipAddress} from './sipp.js'

export const BARESIP_BIN = '/usr/bin/baresip'
export const BARESIP_MODULES = '/usr/lib/baresip/modules'

export interface BaresipOptions {
  /** The registrar (the sandbox's SIP address). */
  sip: SipAddress
  user: string
  password: string
  /** The sine tone this phone sends, Hz. Default 440. */
  toneHz?: number
  /** auto: answers every call at once (an agent's phone); manual: rings until told. Default auto. */
  answerMode?: 'auto' | 'manual'
  /** Registration interval asked for, s. Default 3600. */
  regint?: number
  localPort?: number
  /** Print SIP messages into the log (baresip -s). */
  sipTrace?: boolean
  /** Keep the config directory (recordings, log) after stop/kill. Default: removed by cleanup(). */
  keepDir?: boolean
  /** How long to wait for the registration. Default 5 s. */
  registerTimeoutMs?: number
}

/** A ctrl_tcp event, e.g. {type: 'CALL_ESTABLISHED', class: 'call', id, peeruri, direction, param}. */
export interface BaresipEvent {
  type: string
  class?: string
  id?: string
  peeruri?: string
  direction?: 'incoming' | 'outgoing'
  param?: string
  accountaor?: string
  [k: string]: unknown
}

interface Pending {
  resolve: (r: {ok: boolean; data: string}) => void
  reject: (e: Error) => void
}

export class BaresipPhone {
  /** Every ctrl_tcp event since the control connection opened, in order. */
  readonly events: BaresipEvent[] = []
  private readonly waiters = new Set<() => void>()
  private readonly pending = new Map<string, Pending>()
  private nextToken = 1
  private buf = Buffer.alloc(0)

  constructor(
    readonly child: ChildProcess,
    readonly o: BaresipOptions,
    /** Config directory: config, accounts, baresip.log, snd/ (recordings). */
    readonly dir: string,
    readonly sipPort: number,
    private readonly ctrl: Socket,
  ) {
    ctrl.on('data', (d: Buffer) => this.onData(d))
    // A reset when baresip dies (kill) is expected; 'close' follows and settles what waits.
    ctrl.on('error', () => undefined)
    ctrl.on('close', () => {
      for (const p of this.pending.values()) p.reject(new Error('baresip control connection closed'))
      this.pending.clear()
      this.wake()
    })
    child.once('exit', () => this.wake())
  }

  get user(): string {
    return this.o.user
  }

  get running(): boolean {
    return running(this.child)
  }

  /** Sends a menu command over ctrl_tcp; resolves with baresip's response. */
  async command(command: string, params?: string): Promise<{ok: boolean; data: string}> {
    const token = String(this.nextToken++)
    const body = Buffer.from(JSON.stringify(params === undefined ? {command, token} : {command, params, token}))
    return new Promise((resolve, reject) => {
      this.pending.set(token, {resolve, reject})
      this.ctrl.write(Buffer.concat([Buffer.from(`${body.length}:`), body, Buffer.from(',')]))
    })
  }

  /** Dials a number (completed with the sandbox's address) or a full sip: URI. */
  async dial(target: string): Promise<void> {
    const r = await this.command('dial', target)
    if (!r.ok) throw new Error(`baresip ${this.user}: dial ${target} failed: ${r.data}`)
  }

  /** Hangs up the current call. */
  async hangup(): Promise<void> {
    await this.command('hangup')
  }

  /** Sends one DTMF digit on the current call (RFC 4733). */
  async sendDigit(digit: string): Promise<void> {
    await this.command('sndcode', digit)
  }

  /** Answers a ringing call (answerMode manual). */
  async answer(): Promise<void> {
    await this.command('accept')
  }

  /** Waits for an event of this type (matching `pred`) at or after index `from` of `events`. */
  async waitForEvent(type: string, opts: {from?: number; pred?: (e: BaresipEvent) => boolean; timeoutMs?: number} = {}): Promise<BaresipEvent> {
    const timeoutMs = opts.timeoutMs ?? 10_000
    const deadline = performance.now() + timeoutMs
    for (;;) {
      const hit = this.events.slice(opts.from ?? 0).find((e) => e.type === type && (!opts.pred || opts.pred(e)))
      if (hit) return hit
      if (!this.running) throw new Error(`baresip ${this.user} exited before ${type}`)
      const left = deadline - performance.now()
      if (left <= 0) throw new Error(`baresip ${this.user}: no ${type} in ${timeoutMs} ms; events: ${this.events.map((e) => e.type).join(', ')}`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(left, 500))
        function done() {
          clearTimeout(timer)
          resolve()
        }
        this.waiters.add(done)
      })
    }
  }

  /** What the phone heard and sent, per call (sndfile dumps, oldest first). */
  recordings(): {heard: string[]; sent: string[]} {
    const snd = join(this.dir, 'snd')
    const files = existsSync(snd) ? readdirSync(snd).sort() : []
    return {
      heard: files.filter((f) => f.endsWith('-dec.wav')).map((f) => join(snd, f)),
      sent: files.filter((f) => f.endsWith('-enc.wav')).map((f) => join(snd, f)),
    }
  }

  /** Graceful: `quit` unregisters (REGISTER Expires: 0) and exits; SIGKILL if it takes over 5 s. */
  async stop(): Promise<void> {
    if (this.running) {
      await this.command('quit').catch(() => undefined)
      await ended(this.child, 5000)
    }
    this.ctrl.destroy()
  }

  /** The phone's network is gone: SIGKILL, nothing more on the wire. */
  async kill(): Promise<void> {
    if (this.running) this.child.kill('SIGKILL')
    await ended(this.child, 1000)
    this.ctrl.destroy()
  }

  /** Removes the config directory (unless keepDir). After stop or kill. */
  cleanup(): void {
    if (!this.o.keepDir) rmSync(this.dir, {recursive: true, force: true})
  }

  private onData(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d])
    // Netstrings: LENGTH ":" PAYLOAD ","
    for (;;) {
      const colon = this.buf.indexOf(0x3a)
      if (colon < 0) return
      const len = Number(this.buf.subarray(0, colon).toString())
      if (this.buf.length < colon + 1 + len + 1) return
      const payload = this.buf.subarray(colon + 1, colon + 1 + len).toString()
      this.buf = this.buf.subarray(colon + 1 + len + 1)
      let msg: Record<string, unknown>
      try {
        msg = JSON.parse(payload) as Record<string, unknown>
      } catch {
        continue
      }
      if (msg.response === true && typeof msg.token === 'string') {
        const p = this.pending.get(msg.token)
        this.pending.delete(msg.token)
        p?.resolve({ok: msg.ok === true, data: typeof msg.data === 'string' ? msg.data : ''})
      } else if (msg.event === true) {
        this.events.push(msg as BaresipEvent)
        this.wake()
      }
    }
  }

  private wake(): void {
    for (const w of [...this.waiters]) w()
    this.waiters.clear()
  }
}

function configFile(o: {sipPort: number; ctrlPort: number; toneHz: number; snd: string}): string {
  return [
    '# Written by test/support/sip/baresip.ts: a headless answering softphone.',
    'poll_method\t\tepoll',
    `sip_listen\t\t127.0.0.1:${o.sipPort}`,
    'call_local_timeout\t120',
    'call_max_calls\t\t4',
    // Its RTP ports clear of the sandboxes' RTP ranges (10000-31999, sip-ports.ts).
    'rtp_ports\t\t40000-49999',
    // No sound card: ALSA's null device as player and alert; the tone as the microphone.
    'audio_player\t\talsa,null',
    'audio_alert\t\talsa,null',
    `audio_source\t\tausine,${o.toneHz}`,
    // ausine needs these, or the call never reaches 200 OK.
    'ausrc_srate\t\t48000',
    'ausrc_channels\t\t2',
    `module_path\t\t${BARESIP_MODULES}`,
    'module\t\t\tg711.so',
    'module\t\t\talsa.so',
    'module\t\t\tausine.so',
    // Records each call: dump-TIME-dec.wav (heard) and dump-TIME-enc.wav (sent).
    'module\t\t\tsndfile.so',
    `snd_path\t\t${o.snd}`,
    'module_tmp\t\taccount.so',
    'module_app\t\tmenu.so',
    'module_app\t\tctrl_tcp.so',
    `ctrl_tcp_listen\t\t127.0.0.1:${o.ctrlPort}`,
    '',
  ].join('\n')
}

/** Starts a baresip phone; resolves once it is registered and its control port is connected. */
export async function startBaresip(o: BaresipOptions): Promise<BaresipPhone> {
  const dir = mkdtempSync(join(tmpdir(), `callctl-baresip-${o.user}-`))
  const snd = join(dir, 'snd')
  mkdirSync(snd)
  // P + 1 free as well: baresip binds TLS there.
  const sipPort = o.localPort ?? (await freeUdpPort({count: 2}))
  const ctrlPort = await freeUdpPort()
  writeFileSync(join(dir, 'config'), configFile({sipPort, ctrlPort, toneHz: o.toneHz ?? 440, snd}))
  const params = [`auth_pass=${o.password}`, `answermode=${o.answerMode ?? 'auto'}`, `regint=${o.regint ?? 3600}`]
  writeFileSync(join(dir, 'accounts'), `<sip:${o.user}@${o.sip.host}:${o.sip.port}>;${params.join(';')}\n`)
  // Empty contacts file: otherwise baresip writes a template with example contacts.
  writeFileSync(join(dir, 'contacts'), '')

  const args = ['-f', dir]
  if (o.sipTrace) args.push('-s')
  const child = spawn(BARESIP_BIN, args, {cwd: dir, stdio: ['ignore', 'pipe', 'pipe']})
  track(child)
  const logFile = createWriteStream(join(dir, 'baresip.log'))
  let out = ''
  const onOut = (d: Buffer) => {
    logFile.write(d)
    if (out.length < 200_000) out += d.toString()
  }
  child.stdout?.on('data', onOut)
  child.stderr?.on('data', onOut)
  child.once('exit', () => logFile.end())

  const fail = async (why: string): Promise<never> => {
    child.kill('SIGKILL')
    await ended(child, 1000)
    if (!o.keepDir) rmSync(dir, {recursive: true, force: true})
    // ANSI colour codes out, so the message reads.
    throw new Error(`baresip ${o.user}: ${why}; output:\n${out.replace(/\x1b\[[0-9;]*m/g, '').slice(-3000)}`)
  }

  // The registrar's answer as baresip prints it: "9102@127.0.0.1: {0/UDP/v4} 200 OK (callctl-sandbox) [1 binding]".
  const answer = new RegExp(`^${o.user.replace(/\W/g, '\\$&')}@\\S+: \\{[^}]*\\} (\\d{3}) .*$`, 'm')
  const deadline = performance.now() + (o.registerTimeoutMs ?? 5000)
  for (;;) {
    const code = answer.exec(out)?.[1]
    if (code === '200') break
    if (code) return fail(`registration refused (${code})`)
    if (!running(child)) return fail('exited before registering')
    if (performance.now() > deadline) return fail('not registered in time')
    await sleep(25)
  }

  let ctrl: Socket | undefined
  while (!ctrl) {
    ctrl = await new Promise<Socket | undefined>((resolve) => {
      const s = connect(ctrlPort, '127.0.0.1')
      s.once('connect', () => resolve(s))
      s.once('error', () => resolve(undefined))
    })
    if (!ctrl) {
      if (!running(child) || performance.now() > deadline + 2000) return fail(`ctrl_tcp on ${ctrlPort} not reachable`)
      await sleep(25)
    }
  }
  return new BaresipPhone(child, o, dir, sipPort, ctrl)
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}
