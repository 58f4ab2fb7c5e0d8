import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { Ajv2020 } from 'ajv/dist/2020.js'
import { parse } from 'yaml'
import { describeError } from '../errors.js'
import { bundledPaths } from '../paths.js'
import type { PolicyTestSuite } from './run.js'

export const bundledSuitesDir = path.join(bundledPaths.packageRoot, 'schemas', 'policy-tests')
const suiteSchemaFile = path.join(bundledPaths.packageRoot, 'schemas', 'policy-test.schema.json')

export type LoadedSuite = { file: string; suite: PolicyTestSuite } | { file: string; problems: string[] }

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true })
  const nested = await Promise.all(
    entries
      .filter((e) => !e.name.startsWith('.'))
      .map(async (e) => {
        const full = path.join(dir, e.name)
        if (e.isDirectory()) return filesUnder(full)
        return /\.(json|ya?ml)$/.test(e.name) ? [full] : []
      }),
  )
  return nested.flat().sort()
}

/** Every suite file (.json, .yaml, .yml) under `dir`, parsed and checked against the suite schema. */
export async function loadSuites(dir: string = bundledSuitesDir): Promise<LoadedSuite[]> {
  const schema = JSON.parse(await readFile(suiteSchemaFile, 'utf8')) as object
  const check = new Ajv2020({ allErrors: true, strict: false }).compile(schema)
  const problemsOf = (data: unknown): string[] =>
    check(data) ? [] : (check.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message ?? 'invalid'}`)
  const files = await filesUnder(dir)
  return Promise.all(
    files.map(async (file): Promise<LoadedSuite> => {
      let data: unknown
      try {
        const text = await readFile(file, 'utf8')
        // Merge keys as in manifests (kubectl applies them), so a suite reads its objects as `check` would.
        data = file.endsWith('.json') ? JSON.parse(text) : parse(text, { merge: true })
      } catch (err) {
        return { file, problems: [`cannot parse: ${describeError(err)}`] }
      }
      const problems = problemsOf(data)
      return problems.length > 0 ? { file, problems } : { file, suite: data as PolicyTestSuite }
    }),
  )
}
