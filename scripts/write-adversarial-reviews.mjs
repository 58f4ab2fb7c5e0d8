// Writes the recorded reviews of issue 10's attacks, scaled down so the suite stays fast but over every cap:
//   node scripts/write-adversarial-reviews.mjs   (then UPDATE_GOLDEN=1 npx tap test/admission/golden.test.ts)
// The full-size objects are bench/adversarial.mjs's.
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { endpointsReview, ratchetedWarningsReview, selectorKeysReview } from '../bench/adversarial-objects.mjs'

const dir = fileURLToPath(new URL('../test/fixtures/reviews', import.meta.url))
const write = (name, review) => writeFileSync(path.join(dir, `${name}.review.json`), `${JSON.stringify(review, null, 2)}\n`)

write('adversarial-endpoints-unique-by', endpointsReview({ addresses: 300, duplicateSubsets: 200 }))
write('adversarial-many-violations', endpointsReview({ addresses: 3000, uid: 'a0000000-0000-4000-8000-000000000004' }))
write('adversarial-selector-keys', selectorKeysReview({ keyLength: 4000 }))
write('adversarial-ratcheted-warnings', ratchetedWarningsReview({ count: 60 }))
// Over the render limit (1,000 per policy) on UPDATE: the violations past it are only counted, so they cannot be
// shown to be already present, and the update is denied (fail closed), however unchanged the addresses are.
write('adversarial-ratchet-over-limit', ratchetedWarningsReview({ count: 1100, uid: 'a0000000-0000-4000-8000-000000000005' }))
