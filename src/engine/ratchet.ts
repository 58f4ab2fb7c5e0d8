import type { Violation } from '../policy/types.js'

/**
 * Identity of a violation across an UPDATE. Array indices are dropped from the path because items move when
 * an earlier item is removed; the offending value stays in, so a changed value under the same path is new.
 */
function identity(v: Violation): string {
  return [v.path.replace(/\[\d+\]/g, '[*]'), v.type, v.value ?? '', v.detail].join('\u0000')
}

/**
 * Splits the new object's violations into those the request introduces and those already present, unchanged,
 * in the old object. Counted as a multiset: a second copy of an old bad address is a new violation.
 */
export function ratchet(current: Violation[], previous: Violation[]): { added: Violation[]; existing: Violation[] } {
  const budget = new Map<string, number>()
  for (const v of previous) budget.set(identity(v), (budget.get(identity(v)) ?? 0) + 1)
  const added: Violation[] = []
  const existing: Violation[] = []
  for (const v of current) {
    const key = identity(v)
    const left = budget.get(key) ?? 0
    if (left > 0) {
      budget.set(key, left - 1)
      existing.push(v)
    } else {
      added.push(v)
    }
  }
  return { added, existing }
}
