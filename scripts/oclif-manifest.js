#!/usr/bin/env node
// Writes oclif.manifest.json after the build. Without it oclif imports every command file
// on every run to learn the flags (about 0.9 s per `callctl …` here, paid by each cron job
// and script call); with it, only the command run is imported (about 0.25 s). It is
// generated, never committed: a stale manifest would hide a new or changed command.
// Help texts name paths as tokens (HELP_PATH), filled in when help is shown.
import {rmSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {Config} from '@oclif/core'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const out = join(root, 'oclif.manifest.json')
// The old manifest goes first: oclif would otherwise read the commands back from it.
rmSync(out, {force: true})
const config = await Config.load(root)
const plugin = config.getPluginsList().find((p) => p.root === config.root)
if (!plugin || Object.keys(plugin.manifest.commands).length === 0) {
  process.stderr.write('oclif-manifest: no commands found; run tsc first\n')
  process.exit(1)
}
writeFileSync(out, JSON.stringify(plugin.manifest) + '\n')
