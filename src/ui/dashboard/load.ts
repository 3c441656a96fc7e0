/**
 * The live dashboard's module, loaded only when it is shown: other commands (and
 * `dashboard --once`) skip React and Ink, and React comes in its production build,
 * several times faster than the development one it picks when NODE_ENV is unset.
 */
export async function loadLiveDashboard(): Promise<typeof import('./run.js')> {
  process.env.NODE_ENV ??= 'production'
  // Callers show it on a terminal only. With CI set, Ink would draw nothing but its last
  // frame at exit (it reads the variable once, when loaded).
  delete process.env.CI
  delete process.env.CONTINUOUS_INTEGRATION
  return import('./run.js')
}
