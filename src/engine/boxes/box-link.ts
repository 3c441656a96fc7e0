import type {AsteriskLink} from '../asterisk-link.js'
import type {ConnectionState} from '../ari/port.js'
import type {BoxRouter} from './box-router.js'

/**
 * The engine's one link to Asterisk over several boxes: connected while any box answers,
 * unreachable once none does (the router says so when the last one goes). A box coming
 * back while another served is no news for the link: connect-boxes logs it with that
 * box's own URL. `onConnection` gets every state the router tells (the engine re-pushes
 * phones and re-reads calls when any box is back).
 */
export function followBoxes(router: BoxRouter, link: AsteriskLink, onConnection?: (s: ConnectionState) => void): void {
  link.update({state: 'connected'})
  router.onConnection((s) => {
    if (!(s.state === 'connected' && link.current.state === 'connected')) link.update(s)
    onConnection?.(s)
  })
}
