/**
 * The nodes of a flow (IVR or chat) reachable from `start`, following `targets`: the
 * flows' checkers report the others as unreachable. Targets naming no node are skipped
 * (the checkers report those on their own).
 */
export function reachableFrom<N>(start: string, nodes: Record<string, N>, targets: (node: N) => readonly string[]): Set<string> {
  const reachable = new Set<string>()
  const stack = [start]
  while (stack.length) {
    const id = stack.pop()!
    if (reachable.has(id) || !Object.hasOwn(nodes, id)) continue
    reachable.add(id)
    stack.push(...targets(nodes[id]!))
  }
  return reachable
}
