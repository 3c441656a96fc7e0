// The engine's own API, spoken over a WebSocket by the CLI, the dashboards and scripts.
// Every message is one JSON object with a version field. Requests carry the token.

export const API_VERSION = 1
/** Largest message the server accepts; bigger ones close the connection (code 1009). */
export const MAX_MESSAGE_BYTES = 64 * 1024

export interface ApiRequest {
  v: typeof API_VERSION
  id: string | number
  token: string
  method: string
  params?: Record<string, unknown>
}

export interface ApiErrorBody {
  code: string
  message: string
  suggestion?: string
}

export type ApiResponse =
  | {v: typeof API_VERSION; id: string | number | null; ok: true; result: unknown}
  | {v: typeof API_VERSION; id: string | number | null; ok: false; error: ApiErrorBody}

/** Pushed to subscribers without a request. */
export interface ApiPush {
  v: typeof API_VERSION
  type: 'event'
  event: unknown
}

/** Where a running engine listens; written by the engine at start, read by commands. */
export interface EngineEndpoint {
  url: string
  pid: number
  app: string
  startedAt: string
}
