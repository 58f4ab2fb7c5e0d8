import { describeError } from '../errors.js'
import type { PolicySet } from '../policy/types.js'
import { loadPolicies } from '../policy-files/read.js'

/**
 * The policies a command runs, or undefined after telling the user why they cannot be loaded (the file and
 * JSON pointer of the problem); every command then exits 2, as for any unreadable input.
 */
export async function loadPoliciesFor(command: string, dirs: readonly string[], stderr: (s: string) => void): Promise<PolicySet | undefined> {
  try {
    return await loadPolicies(dirs)
  } catch (err) {
    stderr(`endpoint-guard ${command}: ${describeError(err)}`)
    return undefined
  }
}
