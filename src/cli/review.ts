import { readFile } from 'node:fs/promises'
import type { Command } from 'commander'
import { reviewAdmission } from '../admission/review.js'
import { loadContextFile } from '../cluster/context-file.js'
import { parseConfig, type ConfigOf } from '../config.js'
import { actionProblems, judgingAt } from '../engine/judging.js'
import { describeError, errorBody } from '../errors.js'
import { manifestDocuments } from '../manifest/documents.js'
import { readStdin, stdinArgument } from '../manifest/inputs.js'
import { emptyContext } from '../policy/context.js'
import type { Io } from './io.js'
import { loadPoliciesFor } from './load-policies.js'
import { rawFlags, withSettings } from './options.js'

const help = `
The input is the AdmissionReview JSON the API server sends to the webhook (a recorded request, or one
from test/fixtures/reviews). To evaluate manifests (YAML or JSON objects), use endpoint-guard check.

Exit status:
  0  the request is allowed (with or without warnings, audit annotations or a patch)
  1  the request is denied, or a policy failed on it
  2  usage error, the policies or the --context file cannot be loaded, or the input cannot be read or
     is not an AdmissionReview (the 4xx body the server would send is printed)`

export function registerReview(program: Command, io: Io): void {
  withSettings(
    program
      .command('review')
      .description('evaluate one AdmissionReview (file or - for stdin) and print the AdmissionReview answer')
      .argument('[file]', 'AdmissionReview JSON; - or nothing reads stdin'),
    'review',
  )
    .addHelpText('after', help)
    .action(async (file: string | undefined, opts: Record<string, unknown>) => {
      const config = parseConfig('review', rawFlags('review', opts), io.env)
      let text: string
      try {
        text = file !== undefined && file !== stdinArgument ? await readFile(file, 'utf8') : await readStdin(io.stdin)
      } catch (err) {
        io.stderr(`endpoint-guard review: cannot read ${file ?? 'stdin'}: ${describeError(err)}`)
        io.setExitCode(2)
        return
      }
      io.setExitCode(await runReview(text, file ?? stdinArgument, config, io, process.cwd()))
    })
}

/** The kind of the first Kubernetes object in a text that is not an AdmissionReview: a manifest given to review. */
function manifestKind(text: string, file: string): string | undefined {
  for (const doc of manifestDocuments(text, file)) {
    if (doc.type !== 'object') continue
    const kind = doc.object['kind']
    return typeof kind === 'string' && kind !== 'AdmissionReview' ? kind : undefined
  }
  return undefined
}

/**
 * `endpoint-guard review`: the AdmissionReview the server would answer, printed as JSON. Exit 0 allowed,
 * 1 denied or errored, 2 unreadable input (with the 4xx body the server would send).
 */
export async function runReview(text: string, file: string, config: ConfigOf<'review'>, io: Pick<Io, 'stdout' | 'stderr'>, cwd: string): Promise<number> {
  const loaded = await loadPoliciesFor('review', config.policies, io.stderr, cwd)
  if (!loaded.ok) return 2
  const problems = actionProblems(loaded.policies, config.policyAction)
  for (const problem of problems) io.stderr(`endpoint-guard review: ${problem}`)
  if (problems.length > 0) return 2
  const context = config.context === undefined ? emptyContext : await loadContextFile(config.context)
  const outcome = reviewAdmission(
    text,
    loaded.policies,
    context,
    config.mutate ? 'mutate' : 'validate',
    judgingAt(Date.now(), { enforcement: config.enforcement, actions: config.policyAction }),
  )
  if (outcome.kind === 'rejected') {
    io.stdout(JSON.stringify(errorBody(outcome.error), null, 2))
    const kind = manifestKind(text, file)
    if (kind !== undefined) {
      const name = file === stdinArgument ? 'stdin' : file
      const article = /^[AEIOU]/.test(kind) ? 'an' : 'a'
      io.stderr(`endpoint-guard review: ${name} is ${article} ${kind} manifest, not an AdmissionReview; to evaluate manifests use: endpoint-guard check ${file}`)
    }
    return 2
  }
  io.stdout(JSON.stringify(outcome.review, null, 2))
  return outcome.review.response.allowed ? 0 : 1
}
