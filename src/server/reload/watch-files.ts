import { statSync, watch, type FSWatcher } from 'node:fs'
import path from 'node:path'
import type { Logger } from 'pino'
import { describeError } from '../../errors.js'

/**
 * Editors and kubelet write a change as a burst of events (create, rename, delete); one reload per burst.
 */
export const defaultDebounceMs = 200
/**
 * A safety net for what directory events miss: a mount whose inotify events never arrive (some network and
 * FUSE file systems), a watched directory that was replaced, a file that is a symlink into another directory.
 * The callback compares contents, so a quiet poll costs a few small file reads. controller-runtime's certwatcher
 * polls at the same interval.
 */
export const defaultPollMs = 10_000

export interface WatchOptions {
  /** files or directories to watch; a file is watched through its directory */
  paths: readonly string[]
  /** runs once changes have settled; never two at once. It decides itself whether anything really changed. */
  onChange: () => Promise<unknown>
  logger: Logger
  debounceMs?: number
  pollMs?: number
}

export interface FileWatch {
  /** the directories being watched */
  readonly dirs: readonly string[]
  /** stops watching and polling; resolves once a run in progress has finished */
  close(): Promise<void>
}

/** A directory is watched as itself; anything else (a file, a symlink to one, a path not there yet) through its parent. */
function directoryOf(p: string): string {
  try {
    if (statSync(p).isDirectory()) return p
  } catch {
    // not there (yet): watch where it will appear
  }
  return path.dirname(p)
}

/**
 * Watches directories, not files: Kubernetes mounts a ConfigMap or Secret as `name -> ..data/name` symlinks and
 * updates it by renaming a new `..data` symlink over the old one, so the file's own inode never changes and a
 * watch on it would see nothing (or die with the old directory). Every event in the directory counts; the
 * callback is debounced, serialised (a change during a run schedules one more run) and polled as a safety net.
 * Watchers and timers never keep the process alive.
 */
export function watchFiles(options: WatchOptions): FileWatch {
  const { logger, onChange } = options
  const debounceMs = options.debounceMs ?? defaultDebounceMs
  const pollMs = options.pollMs ?? defaultPollMs
  const dirs = [...new Set(options.paths.map(directoryOf))]
  const watchers = new Map<string, FSWatcher>()
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined
  let again = false
  let closed = false

  const run = (): void => {
    timer = undefined
    if (closed) return
    if (running !== undefined) {
      again = true
      return
    }
    running = onChange()
      .then(
        () => undefined,
        (err: unknown) => logger.error({ err: describeError(err), dirs }, 'reload failed unexpectedly'),
      )
      .finally(() => {
        running = undefined
        if (again) {
          again = false
          schedule()
        }
      })
  }

  const schedule = (): void => {
    if (closed) return
    if (timer !== undefined) clearTimeout(timer)
    timer = setTimeout(run, debounceMs)
    timer.unref()
  }

  const attach = (dir: string): void => {
    if (closed || watchers.has(dir)) return
    try {
      const watcher = watch(dir, { persistent: false }, () => schedule())
      watcher.on('error', (err) => {
        // e.g. the directory was deleted: drop the watch, let the poll re-attach it when the directory is back.
        logger.warn({ dir, err: err.message }, 'file watch lost; polling until it can be re-established')
        watcher.close()
        watchers.delete(dir)
        schedule()
      })
      watchers.set(dir, watcher)
    } catch (err) {
      logger.warn({ dir, err: describeError(err) }, 'cannot watch directory; relying on polling')
    }
  }

  for (const dir of dirs) attach(dir)
  const poll = setInterval(() => {
    for (const dir of dirs) attach(dir)
    schedule()
  }, pollMs)
  poll.unref()

  return {
    dirs,
    async close() {
      closed = true
      if (timer !== undefined) clearTimeout(timer)
      clearInterval(poll)
      for (const watcher of watchers.values()) watcher.close()
      watchers.clear()
      await running
    },
  }
}
