import type { Violation } from '../policy/types.js'

/**
 * Identity of a violation across an UPDATE: the field (array indices dropped, because items move when an earlier
 * item is removed), the kind of error, the rule that failed and the offending value. Never the rendered detail,
 * which may summarise (a message that lists three of four addresses must not make the fourth invisible).
 */
function identity(v: Violation): string {
  return [v.path.replace(/\[\d+\]/g, '[*]'), v.type, v.rule ?? '', v.value ?? '', v.digest ?? ''].join('\u0000')
}

/** Whether every value of `wanted` is in `available` (multisets: a second copy of a value is a new value). */
function covers(available: readonly string[], wanted: readonly string[]): boolean {
  const left = new Map<string, number>()
  for (const v of available) left.set(v, (left.get(v) ?? 0) + 1)
  for (const v of wanted) {
    const n = left.get(v) ?? 0
    if (n === 0) return false
    left.set(v, n - 1)
  }
  return true
}

/**
 * Splits the new object's violations into those the request introduces and those already present, unchanged,
 * in the old object. The rule, stated once: ratcheting is for values, never for writers.
 *   - a writer violation (who is writing) is always introduced: the old object says nothing about this request;
 *     so is the summary of the violations past the render limit (only counted, they cannot be compared);
 *   - otherwise a violation is already present when the old object had one of the same identity, counted as a
 *     multiset (a second copy of an old bad address is a new violation), and, for a violation about several
 *     values, when that old one stood for each of them (a new address is new wherever it lands).
 */
export function ratchet(current: Violation[], previous: Violation[]): { added: Violation[]; existing: Violation[] } {
  // Per identity: how many old violations stood for no particular values (most: one per value), and the lists of
  // those that did. Counting the first kind and swapping out the second keeps this linear, however many
  // violations share an identity (100,000 copies of one bad address).
  const budget = new Map<string, { plain: number; lists: Array<readonly string[]> }>()
  for (const v of previous) {
    if (v.writer === true || v.summarises !== undefined) continue
    const key = identity(v)
    let entry = budget.get(key)
    if (entry === undefined) budget.set(key, (entry = { plain: 0, lists: [] }))
    if (v.values === undefined || v.values.length === 0) entry.plain++
    else entry.lists.push(v.values)
  }
  const added: Violation[] = []
  const existing: Violation[] = []
  for (const v of current) {
    // Violations past the render limit are only counted, so none of them can be shown to be already present:
    // their summary is always introduced (fail closed), whatever the old object held.
    const entry = v.writer === true || v.summarises !== undefined ? undefined : budget.get(identity(v))
    if (entry !== undefined && consume(entry, v.values ?? [])) existing.push(v)
    else added.push(v)
  }
  return { added, existing }
}

/** Takes an old violation that stood for each of `wanted` out of the entry; false when there is none. */
function consume(entry: { plain: number; lists: Array<readonly string[]> }, wanted: readonly string[]): boolean {
  if (wanted.length === 0 && entry.plain > 0) {
    entry.plain--
    return true
  }
  const i = entry.lists.findIndex((values) => covers(values, wanted))
  if (i < 0) return false
  entry.lists[i] = entry.lists[entry.lists.length - 1] ?? []
  entry.lists.pop()
  return true
}
