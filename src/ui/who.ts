// Commands name who runs them; the engine's admin paths (tickets) need the same name.
export {whoAmI} from '../engine/util/who.js'
