/** The desk's Ink module, loaded only when it is shown (see dashboard/load.ts for why CI and NODE_ENV are set here). */
export async function loadDesk(): Promise<typeof import('./run.js')> {
  process.env.NODE_ENV ??= 'production'
  delete process.env.CI
  delete process.env.CONTINUOUS_INTEGRATION
  return import('./run.js')
}
