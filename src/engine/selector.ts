import type { Labels } from '../kube/object.js'
import type { LabelSelector } from '../policy/types.js'

/** Kubernetes label-selector semantics: every matchLabels pair and every expression must hold. */
export function selectorMatches(selector: LabelSelector, labels: Labels): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[key] !== value) return false
  }
  for (const expr of selector.matchExpressions ?? []) {
    const value = Object.prototype.hasOwnProperty.call(labels, expr.key) ? labels[expr.key] : undefined
    const values = expr.values ?? []
    switch (expr.operator) {
      case 'In':
        if (value === undefined || !values.includes(value)) return false
        break
      case 'NotIn':
        if (value !== undefined && values.includes(value)) return false
        break
      case 'Exists':
        if (value === undefined) return false
        break
      case 'DoesNotExist':
        if (value !== undefined) return false
        break
    }
  }
  return true
}
