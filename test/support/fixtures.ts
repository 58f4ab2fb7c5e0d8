import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { AdmissionReviewResponse } from '../../src/kube/admission.js'

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url))
export const fixturesDir = path.join(repoRoot, 'test', 'fixtures')

/** An AdmissionReview answer as received over the wire. */
export function reviewAnswer(body: string): AdmissionReviewResponse {
  return JSON.parse(body) as AdmissionReviewResponse
}

/** A fresh parsed copy every time, so no test can change what another one reads. */
export function readJson<T = unknown>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T
}

export function listFiles(dir: string, suffix: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith(suffix)).sort().map((f) => path.join(dir, f))
}

/**
 * Golden files: the committed expectation of `actual` (text as it is, anything else as JSON), or with
 * UPDATE_GOLDEN=1 `actual` written as the new expectation (then review the diff before committing: the golden
 * file is the specification).
 */
export function golden<T>(file: string, actual: T): T {
  if (process.env['UPDATE_GOLDEN'] === '1') {
    // Every command prints at least a summary: nothing at all means the binary failed (or dist/ was being rebuilt).
    if (actual === '') throw new Error(`refusing to write an empty ${file}: the command printed nothing`)
    mkdirSync(path.dirname(file), { recursive: true })
    writeFileSync(file, typeof actual === 'string' ? actual : `${JSON.stringify(actual, null, 2)}\n`)
    return actual
  }
  if (!existsSync(file)) throw new Error(`${file} is missing; run the tests with UPDATE_GOLDEN=1 to create it, then review it`)
  const text = readFileSync(file, 'utf8')
  return (typeof actual === 'string' ? text : JSON.parse(text)) as T
}
