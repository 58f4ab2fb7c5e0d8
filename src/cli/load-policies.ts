import { describeError, isGuardError } from '../errors.js'
import { PolicyLoadError } from '../policy/compile.js'
import type { PolicySet } from '../policy/types.js'
import { loadPolicies } from '../policy-files/read.js'
import type { RunError } from './output/result.js'
import { shownPath } from './shown-path.js'

export type LoadedPolicies = { ok: true; policies: PolicySet } | { ok: false; error: RunError }

/**
 * The policies a command runs, or why they cannot be loaded (the file and JSON pointer of the problem), told on
 * stderr; every command then exits 2, as for any unreadable input, and the commands with --output also put the
 * error in their format. A policy that a later --policies directory replaces is told on stderr too, as serve
 * logs it.
 */
export async function loadPoliciesFor(command: string, dirs: readonly string[], stderr: (s: string) => void, cwd: string): Promise<LoadedPolicies> {
  try {
    const policies = await loadPolicies(dirs)
    for (const r of policies.replaced) {
      stderr(`endpoint-guard ${command}: ${r.kind === undefined ? 'policy' : 'exception'} ${r.id} of ${shownPath(r.file, cwd)} is replaced by ${shownPath(r.by, cwd)}`)
    }
    return { ok: true, policies }
  } catch (err) {
    const error: RunError = { code: isGuardError(err) ? err.code : 'EG_INTERNAL', message: describeError(err) }
    if (err instanceof PolicyLoadError) {
      error.file = shownPath(err.file, cwd)
      error.pointer = err.pointer === '' ? '/' : err.pointer
      error.message = `${error.file}: ${error.pointer}: ${err.problem}`
    }
    stderr(`endpoint-guard ${command}: ${error.message}`)
    return { ok: false, error }
  }
}
