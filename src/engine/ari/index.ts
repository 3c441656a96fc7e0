// The only door into Asterisk. Nothing outside src/engine/ari imports ari-client.
export {ConnectAborted, connectAri, type ConnectOptions} from './ari-client-port.js'
export {AriHttp} from './http-rest.js'
export * from './port.js'
