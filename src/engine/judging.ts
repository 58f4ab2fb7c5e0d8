import { didYouMean } from '../policy/suggest.js'
import type { Action, PolicySet } from '../policy/types.js'

/** What `--policy-action` may set a policy's action to: the validating actions. */
export const validatingActions = ['deny', 'warn', 'audit'] as const
export type ValidatingAction = (typeof validatingActions)[number]

/**
 * deny: deny findings deny; warn (monitor mode): every deny finding is answered as allowed, with the violation in
 * the warnings and audit annotations, said as what would have been denied.
 */
export const enforcementModes = ['deny', 'warn'] as const
export type EnforcementMode = (typeof enforcementModes)[number]

/**
 * How findings are judged, beside the policies themselves: the time (for exceptions' expiry, from the caller's
 * clock: the core never reads one), the enforcement mode, and per-policy actions that replace a policy file's.
 */
export interface Judging {
  /** Unix milliseconds */
  readonly now: number
  readonly enforcement: EnforcementMode
  readonly actions: Readonly<Record<string, ValidatingAction>>
}

const noActions: Readonly<Record<string, ValidatingAction>> = Object.freeze({})

/** A Judging at `now`, enforcing, with no action replaced unless given. */
export function judgingAt(now: number, options: { enforcement?: EnforcementMode; actions?: Readonly<Record<string, ValidatingAction>> } = {}): Judging {
  return Object.freeze({ now, enforcement: options.enforcement ?? 'deny', actions: options.actions ?? noActions })
}

/** The action a policy's findings get: the replacement given for it, else its own. */
export function effectiveAction(id: string, own: Action, judging: Pick<Judging, 'actions'>): Action {
  return own === 'mutate' ? own : (judging.actions[id] ?? own)
}

/** Why per-policy actions cannot apply to a policy set: ids that are not loaded, or name a mutate policy. */
export function actionProblems(set: PolicySet, actions: Readonly<Record<string, ValidatingAction>>): string[] {
  const byId = new Map(set.policies.map((p) => [p.id, p]))
  return Object.keys(actions).flatMap((id) => {
    const policy = byId.get(id)
    if (policy === undefined) return [`--policy-action names policy "${id}", which is not loaded${didYouMean(id, byId.keys())}`]
    if (policy.action === 'mutate') return [`--policy-action names policy "${id}", a mutate policy; only deny, warn and audit policies take another action`]
    return []
  })
}
