import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {loadEngineConfig} from '../../src/engine/config/engine-config.js'
import {describe, expect, it} from 'vitest'
import {fillTemplate, interboxIdentify, templateDir} from '../../src/engine/sandbox/box.js'
import {BOX_HTTP_STRIDE, boundPorts, boxHttpPorts, ENGINE_DEFAULT_PORTS, sandboxLayout, sipSpan} from '../../src/engine/sandbox/layout.js'
import {kamailioTemplate, parseDispatcherList} from '../../src/engine/sandbox/proxy.js'
import {boxesOf, type SandboxState} from '../../src/engine/sandbox/state.js'

describe('sandbox layout', () => {
  it('one box without a proxy is the pair it always was: SIP, then the carrier', () => {
    expect(sandboxLayout({httpPort: 8088, sipPort: 5060, boxes: 1, proxy: false})).toEqual({
      boxes: [{name: 'box1', httpPort: 8088, sipPort: 5060, directCarrierPort: 5061}],
      proxy: null,
    })
    expect(sipSpan(1, false)).toBe(2)
  })

  it('two boxes and the proxy: two SIP ports per box, then the proxy, its carrier side and the carrier', () => {
    const l = sandboxLayout({httpPort: 8088, sipPort: 5060, boxes: 2, proxy: true})
    expect(l.boxes.map((b) => [b.name, b.httpPort, b.sipPort, b.directCarrierPort])).toEqual([
      ['box1', 8088, 5060, 5061],
      ['box2', 8098, 5062, 5063],
    ])
    expect(l.proxy).toEqual({port: 5064, carrierSidePort: 5065, carrierPort: 5066})
    expect(sipSpan(2, true)).toBe(7)
    // The carrier's own port is the carrier's to bind, not the sandbox's.
    expect(boundPorts(l)).toEqual({http: [8088, 8098], sip: [5060, 5062, 5064, 5065]})
  })

  it("boxes' HTTP ports never take the engine API's default port (8089) or the chat server's (8090)", () => {
    const four = sandboxLayout({httpPort: 8088, sipPort: 5060, boxes: 4, proxy: true}).boxes.map((b) => b.httpPort)
    expect(four).toEqual([8088, 8098, 8108, 8118])
    // The ports people give the engine beside their own --port (the first + 1, + 2) stay free too.
    expect(boxHttpPorts(38088, 4)).toEqual([38088, 38098, 38108, 38118])
    // A first port from which the stride would land on them skips past.
    expect(boxHttpPorts(8079, 3)).toEqual([8079, 8099, 8109])
    expect(boxHttpPorts(8070, 3)).toEqual([8070, 8080, 8100])
    // Others to avoid (CALLCTL_API_PORT, CALLCTL_CHAT_PORT) as given.
    expect(boxHttpPorts(20000, 3, [20010])).toEqual([20000, 20020, 20030])
    // The first port is the user's own choice.
    expect(boxHttpPorts(8089, 2)).toEqual([8089, 8099])
    for (let first = 8000; first < 8100; first++) {
      expect(boxHttpPorts(first, 4).slice(1).filter((p) => ENGINE_DEFAULT_PORTS.includes(p)), `from ${first}`).toEqual([])
    }
    expect(BOX_HTTP_STRIDE).toBe(10)
  })

  it("the ports avoided are the engine's own defaults", () => {
    const home = mkdtempSync(join(tmpdir(), 'callctl-layout-'))
    try {
      const config = loadEngineConfig({env: {CALLCTL_HOME: home, CALLCTL_ARI_URL: 'http://127.0.0.1:1', CALLCTL_ARI_PASSWORD: 'x'}})
      expect(ENGINE_DEFAULT_PORTS).toContain(config.api.port)
    } finally {
      rmSync(home, {recursive: true, force: true})
    }
  })

  it('refuses 0 or more than 4 boxes', () => {
    expect(() => sandboxLayout({httpPort: 8088, sipPort: 5060, boxes: 0, proxy: false})).toThrow(RangeError)
    expect(() => sandboxLayout({httpPort: 8088, sipPort: 5060, boxes: 5, proxy: true})).toThrow(RangeError)
  })
})

describe('sandbox config templates', () => {
  it('the interbox endpoint is identified by the other boxes; with none it has no identify section', () => {
    expect(interboxIdentify([{host: '127.0.0.1', port: 5062}, {host: '127.0.0.1', port: 5064}])).toBe('[interbox]\ntype = identify\nendpoint = interbox\nmatch = 127.0.0.1:5062\nmatch = 127.0.0.1:5064')
    expect(interboxIdentify([])).toMatch(/^;/)
  })

  it('every name a template uses must be given: a missing one is an error, not a blank', () => {
    expect(fillTemplate('a {{X}} b', {X: '1'}, 't')).toBe('a 1 b')
    expect(() => fillTemplate('a {{Y}}', {X: '1'}, 't.conf')).toThrow('template t.conf uses unknown variable Y')
  })

  it('the Asterisk and Kamailio templates use only the names the sandbox fills in', () => {
    const box = ['HTTP_PORT', 'ARI_USER', 'ARI_PASSWORD', 'APP', 'INSTANCE_DIR', 'CEL', 'SIP_PORT', 'CARRIER_CONTACT', 'CARRIER_MATCH', 'INTERBOX_IDENTIFY', 'RTP_START', 'RTP_END', 'SYSTEM_NAME']
    for (const name of ['asterisk.conf', 'pjsip.conf', 'extensions.conf', 'rtp.conf', 'http.conf', 'ari.conf']) {
      const used = [...readFileSync(`${templateDir()}${name}`, 'utf8').matchAll(/\{\{([A-Z_]+)\}\}/g)].map((m) => m[1])
      for (const u of used) expect(box, `${name} uses ${u}`).toContain(u)
    }
    const proxy = ['HOST', 'PHONES_PORT', 'CARRIER_SIDE_PORT', 'CARRIER_HOST', 'CARRIER_PORT', 'RUN_DIR', 'REG_EXPIRES', 'LOG_PREFIX']
    const used = [...readFileSync(kamailioTemplate(), 'utf8').matchAll(/\{\{([A-Z_]+)\}\}/g)].map((m) => m[1])
    for (const u of used) expect(proxy, `kamailio.cfg uses ${u}`).toContain(u)
  })
})

describe('kamcmd dispatcher.list', () => {
  it("reads each box's state from its URI and the first letter of its flags", () => {
    const out = `{
	NRSETS: 1
	RECORDS: {
		SET: {
			ID: 1
			TARGETS: {
				DEST: {
					URI: sip:127.0.0.1:5060
					FLAGS: AP
					PRIORITY: 0
					ATTRS: {
						BODY: duid=box1
					}
				}
				DEST: {
					URI: sip:127.0.0.1:5062
					FLAGS: IP
					PRIORITY: 0
				}
			}
		}
	}
}`
    expect([...parseDispatcherList(out)]).toEqual([
      ['sip:127.0.0.1:5060', 'active'],
      ['sip:127.0.0.1:5062', 'inactive'],
    ])
  })
})

describe('sandbox state', () => {
  it('a state from before there could be several boxes is box1 alone, from its own fields', () => {
    const sip = {host: '127.0.0.1', port: 5060, transports: ['udp', 'tcp'] as Array<'udp' | 'tcp'>, carrier: {host: '127.0.0.1', port: 5061}, rtp: {start: 10000, end: 11999}}
    const old: SandboxState = {pid: 42, root: '/r', instance: 'abc', instanceDir: '/srv/callctl/abc', httpPort: 8088, ariUrl: 'http://127.0.0.1:8088', ariUser: 'callctl', passwordFile: '/p', app: 'callctl', sip, startedAt: 'then'}
    expect(boxesOf(old)).toEqual([{name: 'box1', pid: 42, instance: 'abc', instanceDir: '/srv/callctl/abc', httpPort: 8088, ariUrl: 'http://127.0.0.1:8088', sip, startedAt: 'then'}])
  })
})
