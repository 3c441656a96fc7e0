import {lstatSync, readlinkSync, realpathSync, statSync} from 'node:fs'
import {dirname, resolve} from 'node:path'

/**
 * What `--out PATH` names, decided before anything is written:
 * - `file`: a regular file or nothing yet: written under a temporary name beside `path`
 *   and renamed over it (`path` is where a symbolic link leads, so the link stays a link);
 * - `stream`: a character device, a FIFO or a socket: written into as it is. A rename would
 *   put a regular file in its place: run as root, `--out /dev/null` would have replaced the
 *   machine's /dev/null for every program.
 * A directory or a block device (a disk: a report is never meant for it) is refused.
 */
export type OutputTarget = {kind: 'file'; path: string} | {kind: 'stream'}

export function outputTarget(file: string): OutputTarget {
  // Follows links, /proc's too (/dev/stdout names a pipe that readlink cannot).
  const st = statSync(file, {throwIfNoEntry: false})
  if (!st) return {kind: 'file', path: linkTarget(file)}
  if (st.isFile()) return {kind: 'file', path: realpathSync(file)}
  if (st.isDirectory()) throw errno('EISDIR', 'is a directory')
  if (st.isBlockDevice()) throw errno('ENOTBLK', 'is a block device')
  return {kind: 'stream'}
}

/** Is `path` still something a rename may replace (nothing, or a regular file)? */
export function replaceable(path: string): boolean {
  const st = lstatSync(path, {throwIfNoEntry: false})
  return !st || st.isFile()
}

// A missing file, or a link (through links) to one: the file the last link names, which
// is where the shell's `>` would create it.
function linkTarget(file: string): string {
  let path = file
  for (let hops = 0; hops < 40; hops++) {
    if (!lstatSync(path, {throwIfNoEntry: false})?.isSymbolicLink()) return path
    path = resolve(realpathSync(dirname(path)), readlinkSync(path))
  }
  throw errno('ELOOP', 'too many symbolic links')
}

function errno(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), {code})
}
