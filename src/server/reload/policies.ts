import path from 'node:path'
import type { Logger } from 'pino'
import { actionProblems, type ValidatingAction } from '../../engine/judging.js'
import { describeError, guardError, isGuardError } from '../../errors.js'
import { PolicyLoadError, compilePolicies, type PolicySource } from '../../policy/compile.js'
import type { PolicySet } from '../../policy/types.js'
import { layersLabel, readExceptionSchema, readMetaSchema, readPolicySources } from '../../policy-files/read.js'
import { seedPolicySeries, type Metrics } from '../metrics.js'
import { changeReader, contentHash, type ReloadResult } from './read-change.js'

/** The policy set in force, and how to replace it. */
export interface PolicyStore {
  /** the layered policy directories, in order */
  readonly dirs: readonly string[]
  /** the set in force; each admission request reads it once, so a swap never splits a request */
  current(): PolicySet
  /** re-reads the directory: a changed valid set replaces the current one, anything else leaves it in force */
  reload(): Promise<ReloadResult>
}

/** What the set was built from: file names and contents, not paths (a ConfigMap swap changes `..data`'s target only). */
function fingerprint(sources: readonly PolicySource[]): string {
  return contentHash(sources.flatMap((s) => [`${s.layer ?? 0}/${path.basename(s.file)}`, s.text]))
}

/** Where a load problem is, for the log line: the file and JSON pointer when the error knows them. */
function locate(err: unknown, dir: string): { code: string; file: string; pointer: string; problem: string } {
  const problem = describeError(err)
  if (err instanceof PolicyLoadError) return { code: err.code, file: err.file, pointer: err.pointer === '' ? '/' : err.pointer, problem }
  return { code: isGuardError(err) ? err.code : 'EG_INTERNAL', file: dir, pointer: '/', problem }
}

/** The exceptions of a set, for the log: id, file, expiry, and whether it has expired at `now`. */
export function exceptionsSummary(set: PolicySet, now: number) {
  return set.exceptions.map((e) => ({ id: e.id, policies: e.document.policies, expires: e.document.expires, expired: now >= e.expiresAt }))
}

/** Logs each exception that has expired: it no longer applies, and its file is due for removal or renewal. */
function logExpired(set: PolicySet, logger: Logger): void {
  for (const e of exceptionsSummary(set, Date.now())) {
    if (e.expired) logger.warn({ exception: e.id, expires: e.expires }, `exception ${e.id} expired at ${e.expires}; ${e.policies.join(', ')} apply to its objects again`)
  }
}

/**
 * Loads the policies directory once (an invalid set throws: start-up stops) and returns the store that reloads
 * it. A reload reads every file, skips compiling when nothing changed since the last attempt, and swaps the set
 * with one assignment, so a request sees either the old set or the new one. A rejected set is logged with the
 * file and JSON pointer, counted, and the last good set stays in force.
 */
export async function openPolicyStore(
  dirs: readonly string[],
  logger: Logger,
  metrics: Metrics,
  actions: Readonly<Record<string, ValidatingAction>> = {},
): Promise<PolicyStore> {
  const dir = layersLabel(dirs)
  const [meta, exceptionSchema] = await Promise.all([readMetaSchema(), readExceptionSchema()])
  const sources = await readPolicySources(dirs)
  let current = compilePolicies(sources, meta, dir, exceptionSchema)
  const readChange = changeReader(() => readPolicySources(dirs), fingerprint, fingerprint(sources))
  // --policy-action naming no loaded policy is a typo that would leave a policy enforcing: start-up stops.
  const problems = actionProblems(current, actions)
  if (problems.length > 0) throw guardError('EG_CONFIG', `${problems.join('; ')}.`)
  seedPolicySeries(metrics, current, actions)
  logExpired(current, logger)

  const reject = (err: unknown): ReloadResult => {
    const where = locate(err, dir)
    metrics.policyReloads.inc({ result: 'failure' })
    logger.error({ dir, ...where, inForce: current.policies.map((p) => p.id) }, 'policy reload rejected; the last good policy set stays in force')
    return 'rejected'
  }

  return {
    dirs,
    current: () => current,
    async reload() {
      const change = await readChange()
      if (change.kind === 'unchanged') return 'unchanged'
      if (change.kind === 'failed') return reject(change.error)
      const next = change.value
      let set: PolicySet
      try {
        set = compilePolicies(next, meta, dir, exceptionSchema)
      } catch (err) {
        return reject(err)
      }
      const before = new Set(current.policies.map((p) => p.id))
      const ids = set.policies.map((p) => p.id)
      current = set
      metrics.policyReloads.inc({ result: 'success' })
      seedPolicySeries(metrics, set, actions)
      // After start-up the set may drop a policy that --policy-action names: said, not refused (the flag cannot change).
      for (const problem of actionProblems(set, actions)) logger.warn({ dir }, problem)
      logExpired(set, logger)
      logger.info(
        {
          dir,
          policies: ids,
          added: ids.filter((id) => !before.has(id)),
          removed: [...before].filter((id) => !ids.includes(id)),
          replaced: set.replaced,
          exceptions: exceptionsSummary(set, Date.now()),
        },
        `policies reloaded: ${ids.length} in force`,
      )
      return 'updated'
    },
  }
}
