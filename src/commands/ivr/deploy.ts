import {Args, Flags} from '@oclif/core'
import {withStore} from '../../engine/config/open-store.js'
import {repositoriesOf} from '../../engine/store/repositories.js'
import {loadPromptBook} from '../../engine/front-door.js'
import {deployFlow} from '../../engine/ivr/flow-service.js'
import type {DeployedFlow} from '../../engine/ivr/flow-store.js'
import {callctlPaths} from '../../engine/util/paths.js'
import {CallctlCommand} from '../../ui/command.js'

export default class IvrDeploy extends CallctlCommand<Omit<DeployedFlow, 'source'>> {
  static summary = 'Validate and deploy an IVR flow for a dialled number (or the default flow); new calls use it at once'
  static description = 'Calls already in the IVR keep the version they started with. Every deployed version is kept.'
  static examples = ['<%= config.bin %> ivr deploy flows/main.yaml --did 100', '<%= config.bin %> ivr deploy flows/default.yaml']
  static args = {file: Args.string({description: 'flow file (YAML)', required: true})}
  static flags = {
    did: Flags.string({description: 'dialled number the flow answers ("*" = every number without its own flow)', default: '*'}),
    config: Flags.string({char: 'c', description: 'config file (YAML)'}),
  }

  protected async execute(): Promise<Omit<DeployedFlow, 'source'>> {
    const {args, flags} = await this.parse(IvrDeploy)
    const paths = callctlPaths()
    const d = await withStore(flags.config, async (store) => deployFlow(args.file, flags.did, repositoriesOf(store).flows, await loadPromptBook(store, paths), store, Date.now()))
    const {source: _source, ...rest} = d
    return rest
  }

  protected render(d: Omit<DeployedFlow, 'source'>): void {
    this.print(`Deployed flow ${d.name} (version ${d.id}) for ${d.did === '*' ? 'every number without its own flow' : `DID ${d.did}`}.`)
  }
}
