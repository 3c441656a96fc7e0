import type {ChatSettings} from '../../config/chat-config.js'
import type {ChannelKind} from '../channel.js'
import type {ChatFlow} from './chat-flow.js'
import {loadChatFlowFile} from './flow-session.js'

/** The configured flow of each channel, each file read and checked once: a bad flow stops the engine at start, naming FILE:LINE:COLUMN. */
export function loadChatFlows(settings: ChatSettings): Record<ChannelKind, ChatFlow | null> {
  const byFile = new Map<string, ChatFlow>()
  const of = (file: string | null): ChatFlow | null => {
    if (!file) return null
    let f = byFile.get(file)
    if (!f) byFile.set(file, (f = loadChatFlowFile(file)))
    return f
  }
  return {web: of(settings.flows.web), wechat: of(settings.flows.wechat), webhook: of(settings.flows.webhook)}
}
