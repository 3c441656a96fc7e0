import {TypeRegistry, type TSchema} from '@sinclair/typebox'
import {Value, ValueErrorType, type ValueError} from '@sinclair/typebox/value'
import {CONTRACT, type Method, type ParamsOf} from './contract.js'
import type {ApiErrorBody} from './protocol.js'

// Checks a request's params against the contract before any handler runs. A refusal
// names the field and what it expected, so a script's author sees the mistake at once:
// "consult: expected boolean, got string".

export type ParamCheck<M extends Method> = {ok: true; params: ParamsOf<M>} | {ok: false; error: ApiErrorBody}

export function checkParams<M extends Method>(method: M, raw: unknown): ParamCheck<M> {
  const params = raw ?? {}
  if (typeof params !== 'object' || params === null || Array.isArray(params)) return {ok: false, error: {code: 'bad_request', message: '"params" must be an object'}}
  const schema = CONTRACT[method].params
  if (Value.Check(schema, params)) return {ok: true, params: params as ParamsOf<M>}
  const errors = [...Value.Errors(schema, params)]
  // A misspelt name usually also leaves a required one missing: the unknown name explains both.
  const first = errors.find((e) => e.type === ValueErrorType.ObjectAdditionalProperties) ?? errors[0]
  if (!first) return {ok: false, error: {code: 'bad_request', message: 'params do not match the contract'}}
  const field = fieldOf(first)
  const takes = Object.keys(schema.properties)
  if (first.type === ValueErrorType.ObjectAdditionalProperties) {
    return {ok: false, error: {code: 'bad_request', message: `${field}: unknown parameter`, suggestion: takes.length ? `${method} takes: ${takes.join(', ')}` : `${method} takes no parameters`}}
  }
  if (first.type === ValueErrorType.ObjectRequiredProperty) {
    return {ok: false, error: {code: 'bad_request', message: `${field}: required, expected ${describe(first.schema)}`}}
  }
  return {ok: false, error: {code: 'bad_request', message: `${field}: expected ${describe(first.schema)}, got ${got(first)}`}}
}

/**
 * Why a handler's result does not match the method's declared result, or null. Views
 * (Type.Unsafe: typed for TypeScript, named but not spelled out in the schema) accept
 * anything here. Used where a mismatch should be caught: the test harness's server.
 */
export function resultProblem(method: Method, result: unknown): string | null {
  if (!TypeRegistry.Has('Unsafe')) TypeRegistry.Set('Unsafe', () => true)
  const schema = CONTRACT[method].result
  if (Value.Check(schema, result)) return null
  const e = Value.Errors(schema, result).First()
  return e ? `${fieldOf(e, 'result')}: expected ${describe(e.schema)}, got ${got(e)}` : 'does not match'
}

/** What a schema accepts, in a few words. */
export function describe(s: TSchema): string {
  if (Array.isArray(s.anyOf)) {
    const options = s.anyOf as TSchema[]
    if (options.every((o) => o.const !== undefined)) return `one of ${options.map((o) => String(o.const)).join(', ')}`
    return options.map(describe).join(' or ')
  }
  if (Array.isArray(s.allOf)) return 'object'
  switch (s.type) {
    case 'string':
      return s.maxLength !== undefined ? `string of ${s.minLength ?? 0} to ${s.maxLength} characters` : 'string'
    case 'number':
    case 'integer':
      return s.minimum !== undefined && s.maximum !== undefined ? `${s.type} from ${s.minimum} to ${s.maximum}` : s.type
    case 'array':
      return `list of ${describe(s.items as TSchema)}${s.maxItems !== undefined ? ` (at most ${s.maxItems})` : ''}`
    case 'object':
      return `{${Object.keys((s.properties ?? {}) as object).join(', ')}}`
    default:
      return typeof s.type === 'string' ? s.type : 'a value'
  }
}

/**
 * The field an error is about, as a.b.0 (from its JSON pointer). A name that is not a
 * plain word is quoted and cut short: it comes from the client and goes into a message.
 */
function fieldOf(e: ValueError, whole = 'params'): string {
  const parts = e.path.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
  if (parts.length === 0) return whole
  return parts.map((p) => (/^[A-Za-z0-9_$-]{1,64}$/.test(p) ? p : JSON.stringify(p.slice(0, 64)))).join('.')
}

/** What the client sent instead, without echoing more than a short value. */
function got(e: ValueError): string {
  const v = e.value
  if (v === null) return 'null'
  if (Array.isArray(v)) return e.schema.type === 'array' ? `a list of ${v.length}` : 'a list'
  if (typeof v === 'string') {
    if (e.schema.type === 'string') return `${v.length} characters`
    if (Array.isArray(e.schema.anyOf) && (e.schema.anyOf as TSchema[]).every((o) => o.const !== undefined)) return JSON.stringify(v.slice(0, 40))
    return 'string'
  }
  if (typeof v === 'number') return e.schema.type === 'number' || e.schema.type === 'integer' ? String(v) : 'number'
  return typeof v
}
