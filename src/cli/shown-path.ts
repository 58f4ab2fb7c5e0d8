import path from 'node:path'

/** A path as a user would write it from `cwd`: relative when it is inside, else as it is. */
export function shownPath(file: string, cwd: string): string {
  const relative = path.relative(cwd, file)
  return relative === '' || relative.startsWith('..') || path.isAbsolute(relative) ? file : relative
}
