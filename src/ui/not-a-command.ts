import {toConfiguredId, type Interfaces} from '@oclif/core'
import {closest} from '../engine/util/closest.js'
import {safeText} from '../engine/util/text.js'

/**
 * '"agnet list" is not a callctl command. Did you mean "agent list"?' for a command id
 * as oclif holds it (agnet:list), shown with spaces as it is typed, and the nearest
 * command or topic when one is a slip away; `suggested` is that one, spelt with spaces.
 */
export function notACommand(config: Interfaces.Config, id: string): {line: string; suggested: string | undefined; topic: string | undefined} {
  const visible = config.commands.filter((c) => !c.hidden).flatMap((c) => [c.id, ...c.aliases])
  const topics = config.topics.filter((t) => !t.hidden).map((t) => t.name)
  const near = closest(id, [...visible, ...topics])
  const suggested = near === undefined ? undefined : toConfiguredId(near, config)
  const first = id.split(':')[0]!
  const line = `"${safeText(toConfiguredId(id, config))}" is not a ${config.bin} command.${suggested === undefined ? '' : ` Did you mean "${suggested}"?`}`
  return {line, suggested, topic: config.findTopic(first) ? first : undefined}
}
