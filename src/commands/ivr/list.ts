import {Flags} from '@oclif/core'
import {withStore} from '../../engine/config/open-store.js'
import {repositoriesOf} from '../../engine/store/repositories.js'
import {CallctlCommand} from '../../ui/command.js'
import {table} from '../../ui/render.js'

type Row = {did: string; name: string; version: number; deployedAt: string}

export default class IvrList extends CallctlCommand<{flows: Row[]}> {
  static summary = 'List the IVR flows live per dialled number'
  static examples = ['<%= config.bin %> ivr list --json']
  static flags = {config: Flags.string({char: 'c', description: 'config file (YAML)'})}

  protected async execute(): Promise<{flows: Row[]}> {
    const {flags} = await this.parse(IvrList)
    const flows = await withStore(flags.config, (store) => repositoriesOf(store).flows.list())
    return {flows: flows.map((f) => ({did: f.did, name: f.name, version: f.id, deployedAt: new Date(f.deployedAt).toISOString()}))}
  }

  protected render(r: {flows: Row[]}): void {
    if (r.flows.length === 0) return this.print('No flows deployed: calls go straight to the queue their number names. Deploy one with: callctl ivr deploy FILE')
    this.print(table(r.flows, [{header: 'DID', get: (f) => f.did}, {header: 'FLOW', get: (f) => f.name}, {header: 'VERSION', get: (f) => f.version, align: 'right'}, {header: 'DEPLOYED', get: (f) => f.deployedAt}]))
  }
}
