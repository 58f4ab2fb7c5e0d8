import { createHash } from 'node:crypto'
import { describeError } from '../../errors.js'

export type ReloadResult = 'updated' | 'unchanged' | 'rejected'

/** sha256 over the parts, NUL-separated: a fingerprint of what a reload was built from. */
export function contentHash(parts: readonly string[]): string {
  const hash = createHash('sha256')
  for (const part of parts) hash.update(part).update('\0')
  return hash.digest('hex')
}

export type Change<T> = { kind: 'unchanged' } | { kind: 'failed'; error: unknown } | { kind: 'changed'; value: T }

/**
 * Reads watched files and says whether they differ from the last attempt. Events and the safety-net poll fire
 * often; the same content, or the same read error, is acted on once, so a broken state is logged and counted
 * once rather than at every poll.
 */
export function changeReader<T>(read: () => Promise<T>, fingerprint: (value: T) => string, initial: string): () => Promise<Change<T>> {
  let last = initial
  const seen = (key: string): boolean => {
    if (key === last) return true
    last = key
    return false
  }
  return async () => {
    let value: T
    try {
      value = await read()
    } catch (error) {
      return seen(`error:${describeError(error)}`) ? { kind: 'unchanged' } : { kind: 'failed', error }
    }
    return seen(fingerprint(value)) ? { kind: 'unchanged' } : { kind: 'changed', value }
  }
}
