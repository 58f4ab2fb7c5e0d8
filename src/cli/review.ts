import { readFile } from 'node:fs/promises'
import { handleReview } from '../admission/handle.js'
import type { ClusterContext } from '../cluster/context.js'
import { loadPoliciesFor } from './load-policies.js'
import { errorBody } from '../server/app.js'

export async function readInput(file: string | undefined, stdin: NodeJS.ReadableStream): Promise<string> {
  if (file !== undefined && file !== '-') return readFile(file, 'utf8')
  const chunks: Buffer[] = []
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer))
  return Buffer.concat(chunks).toString('utf8')
}

export interface ReviewOptions {
  policies?: string
  webhook: 'validate' | 'mutate'
  context: ClusterContext
}

/**
 * `endpoint-guard review`: the AdmissionReview the server would answer, printed as JSON. Exit 0 allowed,
 * 1 denied or errored, 2 unreadable input (with the 4xx body the server would send).
 */
export async function runReview(text: string, options: ReviewOptions, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const policies = await loadPoliciesFor('review', options.policies, err)
  if (policies === undefined) return 2
  const outcome = handleReview(text, policies, options.context, options.webhook)
  if (outcome.kind === 'rejected') {
    out(JSON.stringify(errorBody(outcome.error), null, 2))
    return 2
  }
  out(JSON.stringify(outcome.review, null, 2))
  return outcome.review.response.allowed ? 0 : 1
}
