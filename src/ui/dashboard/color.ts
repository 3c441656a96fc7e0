import chalk from 'chalk'
import {createContext, useContext} from 'react'
import type {Level} from './thresholds.js'

// Colour on the wallboard, and what stands in for it when there is none. NO_COLOR
// (https://no-color.org) is not read by chalk 5 at all (its supports-color knows only
// FORCE_COLOR and --no-color), and Ink draws with that same chalk: the dashboard sets
// chalk's level itself. Without colour every signal that was colour only gets a symbol
// or a word: thresholds, the focused pane, the selection, an error.

/**
 * NO_COLOR present and not empty switches every style off, FORCE_COLOR or not.
 * Returns whether the wallboard is in colour.
 */
export function honourNoColor(env: NodeJS.ProcessEnv = process.env): boolean {
  if (!env.NO_COLOR) return true
  chalk.level = 0
  return false
}

/** In colour unless the dashboard found NO_COLOR (panes drawn on their own are). */
export const ColourContext = createContext(true)

export function useColour(): boolean {
  return useContext(ColourContext)
}

/** What marks a figure past its threshold when colour cannot: ! warn, !! alert. */
export const LEVEL_MARK: Record<Level, string> = {alert: '!!', warn: '!', ok: '', none: ''}

/** The figure as shown: with its mark in front when there is no colour to tell its level. */
export function marked(text: string, level: Level | undefined, colour: boolean): string {
  return colour || !level ? text : LEVEL_MARK[level] + text
}
