import { readFileSync, readdirSync, writeFileSync } from 'node:fs'
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
 * Golden files: compare with the committed expectation, or rewrite it when UPDATE_GOLDEN=1 (then review the
 * diff before committing — the golden file is the specification).
 */
export function golden(file: string, actual: unknown): unknown {
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, `${JSON.stringify(actual, null, 2)}\n`)
  return readJson(file)
}
