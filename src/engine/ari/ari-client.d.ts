// Just the surface of ari-client 2.2.0 that ari-client-port.ts touches.
declare module 'ari-client' {
  import type {EventEmitter} from 'node:events'
  interface AriClient extends EventEmitter {
    start(apps: string | string[], subscribeAll?: boolean): Promise<void>
    stop(): void
    ping(): void
    _ws?: {terminate(): void; readyState: number; send(data: string, cb?: (err?: Error) => void): void}
  }
  const ari: {connect(url: string, user: string, password: string): Promise<AriClient>}
  export default ari
  export type {AriClient}
}
