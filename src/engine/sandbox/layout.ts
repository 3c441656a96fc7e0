// Where each part of a sandbox listens, from its HTTP port and the first SIP port. No I/O.
//
// SIP ports come in one block from the first: two per box (the box's own, then the port
// its carrier sends from when it calls the box directly), then, with the proxy, the
// proxy's phone port, its carrier-side port and the carrier's own port. With one box and
// no proxy that is today's pair: SIP on 5060, the carrier on 5061.
//
//   5060 box1   5061 carrier→box1   5062 box2   5063 carrier→box2
//   5064 proxy (phones)   5065 proxy (carrier side)   5066 the carrier
//
// HTTP/ARI ports go up by 10 from the first: 8088 box1, 8098 box2, 8108 box3, 8118 box4.
// Consecutive ports gave box2 8089, the engine API's default port, so the engine never
// started beside two boxes on defaults; the ports between (the first + 1 to + 9) are
// left to the engine and the chat server, as people pick them (--port 38088 with
// CALLCTL_API_PORT=38089). A box port that would still be one of `avoid` (the engine's
// and the chat server's default ports, unless told others) moves up another 10.

export const MAX_BOXES = 4

/** How far apart the boxes' HTTP/ARI ports are. */
export const BOX_HTTP_STRIDE = 10

/** The engine API's default port (config api.port) and the chat server's (channels.web.port): boxes after the first never take them. */
export const ENGINE_DEFAULT_PORTS: readonly number[] = [8089, 8090]

export interface BoxPorts {
  /** box1, box2, …: the box's name and, with several, its Asterisk systemname. */
  name: string
  httpPort: number
  sipPort: number
  /** Where the carrier sends from when it calls this box directly (not through the proxy). */
  directCarrierPort: number
}

export interface ProxyPorts {
  /** Phones register and call here. */
  port: number
  /** The carrier sends its calls here; boxes identify the carrier by this socket. */
  carrierSidePort: number
  /** The carrier's own port: the proxy takes calls only from it and sends outbound calls to it. */
  carrierPort: number
}

export interface SandboxLayout {
  boxes: BoxPorts[]
  proxy: ProxyPorts | null
}

/** How many SIP ports from the first one the layout uses. */
export function sipSpan(boxes: number, proxy: boolean): number {
  return 2 * boxes + (proxy ? 3 : 0)
}

/** The boxes' HTTP/ARI ports: the first as given, each next one BOX_HTTP_STRIDE further, skipping `avoid`. */
export function boxHttpPorts(first: number, boxes: number, avoid: readonly number[] = ENGINE_DEFAULT_PORTS): number[] {
  const ports = [first]
  while (ports.length < boxes) {
    let next = ports.at(-1)! + BOX_HTTP_STRIDE
    while (avoid.includes(next)) next += BOX_HTTP_STRIDE
    ports.push(next)
  }
  return ports
}

export function sandboxLayout(o: {httpPort: number; sipPort: number; boxes: number; proxy: boolean; avoid?: readonly number[]}): SandboxLayout {
  if (!Number.isInteger(o.boxes) || o.boxes < 1 || o.boxes > MAX_BOXES) throw new RangeError(`boxes must be 1 to ${MAX_BOXES}, not ${o.boxes}`)
  const http = boxHttpPorts(o.httpPort, o.boxes, o.avoid)
  const boxes = Array.from({length: o.boxes}, (_, i) => ({
    name: `box${i + 1}`,
    httpPort: http[i]!,
    sipPort: o.sipPort + 2 * i,
    directCarrierPort: o.sipPort + 2 * i + 1,
  }))
  const first = o.sipPort + 2 * o.boxes
  return {boxes, proxy: o.proxy ? {port: first, carrierSidePort: first + 1, carrierPort: first + 2} : null}
}

/** The ports a layout binds: every box's HTTP and SIP port, the proxy's two (not the carrier's, which the carrier binds). */
export function boundPorts(l: SandboxLayout): {http: number[]; sip: number[]} {
  return {
    http: l.boxes.map((b) => b.httpPort),
    sip: [...l.boxes.map((b) => b.sipPort), ...(l.proxy ? [l.proxy.port, l.proxy.carrierSidePort] : [])],
  }
}
