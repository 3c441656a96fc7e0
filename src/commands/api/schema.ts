import {contractJsonSchema, type ContractSchema} from '../../engine/api/contract.js'
import {CallctlCommand} from '../../ui/command.js'
import {table} from '../../ui/render.js'

export default class ApiSchema extends CallctlCommand<ContractSchema> {
  static summary = "The engine API's contract: every method with its params and result (--json: as JSON Schema)"
  static description = `Every request is checked against this contract before the engine acts on it: a wrong type,
a missing or an unknown parameter is answered with bad_request naming the field.`
  static examples = ['<%= config.bin %> api schema', '<%= config.bin %> api schema --json > callctl-api.schema.json']
  // JSON Schema of the engine's own API: its keywords and the API's camelCase names stay as they are.
  static override ownJsonFormat = true

  protected async execute(): Promise<ContractSchema> {
    await this.parse(ApiSchema)
    // A round trip through JSON: the schema as a client would read it (TypeBox's symbol keys dropped).
    return JSON.parse(JSON.stringify(contractJsonSchema())) as ContractSchema
  }

  protected render(s: ContractSchema): void {
    this.print(`${s.title}, version ${s.version} (${Object.keys(s.methods).length} methods; --json for the JSON Schema)`)
    this.print(
      table(Object.entries(s.methods), [
        {header: 'METHOD', get: ([name]) => name},
        {header: 'PARAMS', get: ([, m]) => paramList(m.params as {properties?: Record<string, unknown>; required?: string[]}), max: 40},
        {header: 'SUMMARY', get: ([, m]) => m.summary, max: 100},
      ]),
    )
  }
}

/** "call, to, consult?, by?": required names bare, optional ones with "?". */
function paramList(schema: {properties?: Record<string, unknown>; required?: string[]}): string {
  const names = Object.keys(schema.properties ?? {})
  return names.map((n) => (schema.required?.includes(n) ? n : `${n}?`)).join(', ') || '-'
}
