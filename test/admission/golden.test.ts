import path from 'node:path'
import t from 'tap'
import { reviewAdmission } from '../../src/admission/review.js'
import { loadContextFile } from '../../src/cluster/context-file.js'
import { judgingAt } from '../../src/engine/judging.js'
import { loadPolicies } from '../../src/policy-files/read.js'
import { fixturesDir, golden, listFiles, readJson } from '../support/fixtures.js'

const dir = path.join(fixturesDir, 'reviews')

// Every recorded AdmissionReview under test/fixtures/reviews gets exactly its committed answer from the bundled
// policies, with the namespaces of context.yaml known. README.md there says where each request came from.
t.test('recorded admission reviews get their golden answers', async (t) => {
  const [policies, context] = await Promise.all([loadPolicies(), loadContextFile(path.join(dir, 'context.yaml'))])
  const files = listFiles(dir, '.review.json')
  t.ok(files.length >= 25, 'the recorded set is all there')
  for (const file of files) {
    const name = path.basename(file, '.review.json')
    const body = JSON.stringify(readJson(file))
    const outcome = reviewAdmission(body, policies, context, 'validate', judgingAt(0))
    t.equal(outcome.kind, 'answer', `${name}: answered`)
    if (outcome.kind === 'rejected') continue
    const request = readJson<{ request: { uid: string }; apiVersion: string }>(file)
    t.equal(outcome.review.response.uid, request.request.uid, `${name}: uid echoed`)
    t.equal(outcome.review.apiVersion, request.apiVersion, `${name}: answered in the version asked`)
    t.same(outcome.review, golden(path.join(dir, `${name}.expected.json`), outcome.review), `${name}: golden answer`)
  }
})
