import type { LabelSelector } from '../policy/types.js'

export type Labels = Readonly<Record<string, string>>

/** Kubernetes label-selector semantics: every matchLabels pair and every expression must hold. */
export function selectorMatches(selector: LabelSelector, labels: Labels): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[key] !== value) return false
  }
  for (const expr of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, expr.key)
    const value = labels[expr.key]
    const values = expr.values ?? []
    switch (expr.operator) {
      case 'In':
        if (!has || !values.includes(value as string)) return false
        break
      case 'NotIn':
        if (has && values.includes(value as string)) return false
        break
      case 'Exists':
        if (!has) return false
        break
      case 'DoesNotExist':
        if (has) return false
        break
    }
  }
  return true
}

export function labelsOf(object: unknown): Labels {
  const labels = (object as { metadata?: { labels?: unknown } } | null | undefined)?.metadata?.labels
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) return {}
  return labels as Labels
}
