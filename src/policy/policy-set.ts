import type { Operation } from '../kube/admission.js'
import type { Candidates, CompiledPolicy, PolicyException, PolicySet, Replacement } from './types.js'

const defaultOperations: readonly Operation[] = ['CREATE', 'UPDATE']
const defaultSubresources: readonly string[] = ['']
const none: Candidates = Object.freeze({ validating: Object.freeze([]), mutating: Object.freeze([]) })

function indexKey(kind: string, operation: string, subResource: string): string {
  return `${kind}\u0000${operation}\u0000${subResource}`
}

/** The operations and subresources a policy admits, with the documented defaults filled in. */
export function policyScope(policy: CompiledPolicy): { operations: readonly Operation[]; subresources: readonly string[] } {
  const { match } = policy.document
  return { operations: match.operations ?? defaultOperations, subresources: match.subresources ?? defaultSubresources }
}

/** A frozen PolicySet over compiled policies, with its index by kind, operation and subresource. */
export function policySet(
  policies: readonly CompiledPolicy[],
  source: string,
  replaced: readonly Replacement[] = [],
  exceptions: readonly PolicyException[] = [],
): PolicySet {
  const index = new Map<string, { validating: CompiledPolicy[]; mutating: CompiledPolicy[] }>()
  for (const policy of policies) {
    const scope = policyScope(policy)
    for (const kind of policy.document.match.kinds) {
      for (const operation of scope.operations) {
        for (const subResource of scope.subresources) {
          const key = indexKey(kind, operation, subResource)
          let entry = index.get(key)
          if (entry === undefined) index.set(key, (entry = { validating: [], mutating: [] }))
          ;(policy.action === 'mutate' ? entry.mutating : entry.validating).push(policy)
        }
      }
    }
  }
  for (const entry of index.values()) Object.freeze(entry)
  const frozen = Object.freeze([...policies])
  return Object.freeze({
    policies: frozen,
    source,
    replaced: Object.freeze([...replaced]),
    exceptions: Object.freeze([...exceptions]),
    candidates: (kind: string, operation: Operation, subResource: string) => index.get(indexKey(kind, operation, subResource)) ?? none,
  })
}
