/**
 * `(did you mean "required"?)` for a misspelt name, or nothing: the closest candidate within two edits
 * (a transposition counts as one, so `requried` finds `required`), compared without case.
 */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const lower = word.toLowerCase()
  let best: { name: string; distance: number } | undefined
  for (const name of candidates) {
    const distance = editDistance(lower, name.toLowerCase())
    if (distance <= Math.min(2, Math.floor(word.length / 3)) && (best === undefined || distance < best.distance)) best = { name, distance }
  }
  return best === undefined || best.name === word ? '' : ` (did you mean "${best.name}"?)`
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent transpositions. */
function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)))
  const at = (i: number, j: number) => d[i]?.[j] ?? 0
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let v = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, at(i - 2, j - 2) + 1)
      const row = d[i]
      if (row !== undefined) row[j] = v
    }
  }
  return at(a.length, b.length)
}
