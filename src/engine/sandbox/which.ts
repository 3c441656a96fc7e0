import {accessSync, constants} from 'node:fs'
import {delimiter, join} from 'node:path'

/** Full path of an executable on PATH (plus the sbin directories root has), or undefined. */
export function which(cmd: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin']
  for (const dir of dirs) {
    if (!dir) continue
    const p = join(dir, cmd)
    try {
      accessSync(p, constants.X_OK)
      return p
    } catch {
      // not here
    }
  }
  return undefined
}
