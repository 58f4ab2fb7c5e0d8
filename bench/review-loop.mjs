// Instruction counts of the decision path, repeatable on a busy machine (valgrind counts instructions, not time):
//   valgrind --tool=callgrind node bench/review-loop.mjs 20     (start-up and warm-up)
//   valgrind --tool=callgrind node bench/review-loop.mjs 1020   (the same plus 1000 rounds of the mix)
// The difference divided by 1000 × the mix size is the cost of one reviewAdmission() call, in instructions.
import { dist } from './lib.mjs'
import { contextFile, requestMix } from './mix.mjs'

const rounds = Number(process.argv[2] ?? 100)
const { reviewAdmission } = await import(dist('admission/review.js'))
const { judgingAt } = await import(dist('engine/judging.js'))
const judging = judgingAt(Date.now())
const { loadPolicies } = await import(dist('policy-files/read.js'))
const { loadContextFile } = await import(dist('cluster/context-file.js'))
const [policies, context] = await Promise.all([loadPolicies(), loadContextFile(contextFile)])
const bodies = requestMix().map((entry) => entry.body)
let allowed = 0
for (let i = 0; i < rounds; i++) {
  for (const body of bodies) if (reviewAdmission(body, policies, context, 'validate', judging).review?.response.allowed) allowed++
}
console.log(JSON.stringify({ rounds, mix: bodies.length, allowed }))
