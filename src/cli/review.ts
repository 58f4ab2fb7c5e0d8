import { readFile } from 'node:fs/promises'
import type { Command } from 'commander'
import { reviewAdmission } from '../admission/review.js'
import { loadContextFile } from '../cluster/context-file.js'
import { parseConfig, type ConfigOf } from '../config.js'
import { describeError, errorBody } from '../errors.js'
import { readStdin } from '../manifest/inputs.js'
import { emptyContext } from '../policy/context.js'
import type { Io } from './io.js'
import { loadPoliciesFor } from './load-policies.js'
import { rawFlags, withSettings } from './options.js'

export function registerReview(program: Command, io: Io): void {
  withSettings(
    program
      .command('review')
      .description('evaluate one AdmissionReview (file or - for stdin) and print the AdmissionReview answer')
      .argument('[file]', 'AdmissionReview JSON; - or nothing reads stdin'),
    'review',
  ).action(async (file: string | undefined, opts: Record<string, unknown>) => {
    const config = parseConfig('review', rawFlags('review', opts), io.env)
    let text: string
    try {
      text = file !== undefined && file !== '-' ? await readFile(file, 'utf8') : await readStdin(io.stdin)
    } catch (err) {
      io.stderr(`endpoint-guard review: cannot read ${file ?? 'stdin'}: ${describeError(err)}`)
      io.setExitCode(2)
      return
    }
    io.setExitCode(await runReview(text, config, io))
  })
}

/**
 * `endpoint-guard review`: the AdmissionReview the server would answer, printed as JSON. Exit 0 allowed,
 * 1 denied or errored, 2 unreadable input (with the 4xx body the server would send).
 */
export async function runReview(text: string, config: ConfigOf<'review'>, io: Pick<Io, 'stdout' | 'stderr'>): Promise<number> {
  const policies = await loadPoliciesFor('review', config.policies, io.stderr)
  if (policies === undefined) return 2
  const context = config.namespaces === undefined ? emptyContext : await loadContextFile(config.namespaces)
  const outcome = reviewAdmission(text, policies, context, config.mutate ? 'mutate' : 'validate')
  if (outcome.kind === 'rejected') {
    io.stdout(JSON.stringify(errorBody(outcome.error), null, 2))
    return 2
  }
  io.stdout(JSON.stringify(outcome.review, null, 2))
  return outcome.review.response.allowed ? 0 : 1
}
