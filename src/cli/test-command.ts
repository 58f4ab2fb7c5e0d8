/**
 * `endpoint-guard test [DIR]`: runs the policy test suites (schemas/policy-test.schema.json) that policy
 * authors write as data, prints one line per case, and names the loaded policies that no case tests.
 * The runner and the suite format live in src/policy-test; this is the command around them.
 */
import type { Command } from 'commander'
import { parseConfig, type ConfigOf } from '../config.js'
import { judgingAt } from '../engine/judging.js'
import { describeError } from '../errors.js'
import { bundledSuitesDir, loadSuites } from '../policy-test/load.js'
import { runSuite } from '../policy-test/run.js'
import type { Io } from './io.js'
import { loadPoliciesFor } from './load-policies.js'
import { rawFlags, withSettings } from './options.js'
import { shownPath } from './shown-path.js'

const help = `
Each suite file (.yaml, .yml or .json, anywhere under DIR) names one policy and lists cases: an object (or
an update), and the outcome it must get (allowed, denied, warned, audited, patched), message fragments and
the exact patch. Only the named policy is evaluated for its cases. The format is
schemas/policy-test.schema.json; the README's "A policy author's walkthrough" shows one.

Output: one line per case ("ok" or "FAIL", suite file, policy, description; a failed case's problems on
the lines below it), a summary, and the loaded policies that no case tests.

Exit status:
  0  every case passed
  1  a case failed, a suite file is invalid (or, with --require-all, a policy has no test case)
  2  usage error, or the policies or the directory cannot be read, or it holds no suite file`

export function registerTest(program: Command, io: Io): void {
  withSettings(
    program
      .command('test')
      .description('run policy test suites: objects and the outcome each must get')
      .argument('[dir]', 'directory of suite files, searched recursively (default: the bundled suites)'),
    'test',
  )
    .addHelpText('after', help)
    .action(async (dir: string | undefined, opts: Record<string, unknown>) => {
      const config = parseConfig('test', rawFlags('test', opts), io.env)
      io.setExitCode(await runTests(dir ?? bundledSuitesDir, config, process.cwd(), io))
    })
}

/** Runs every suite under `dir` and returns the exit status; paths are shown relative to `cwd`. */
export async function runTests(dir: string, config: ConfigOf<'test'>, cwd: string, io: Pick<Io, 'stdout' | 'stderr'>): Promise<number> {
  const loaded = await loadPoliciesFor('test', config.policies, io.stderr, cwd)
  if (!loaded.ok) return 2
  const policies = loaded.policies
  let suites: Awaited<ReturnType<typeof loadSuites>>
  try {
    suites = await loadSuites(dir)
  } catch (err) {
    io.stderr(`endpoint-guard test: cannot read the suites in ${dir}: ${describeError(err)}`)
    return 2
  }
  if (suites.length === 0) {
    io.stderr(`endpoint-guard test: no test suites (.yaml, .yml, .json files) under ${dir}`)
    return 2
  }
  const shown = (file: string) => shownPath(file, cwd)
  const judging = judgingAt(Date.now())
  let passed = 0
  let failed = 0
  let invalidSuites = 0
  const tested = new Set<string>()
  for (const loaded of suites) {
    const file = shown(loaded.file)
    if ('problems' in loaded) {
      invalidSuites++
      io.stdout(`FAIL ${file}: not a valid test suite`)
      for (const problem of loaded.problems) io.stdout(`     - ${problem}`)
      continue
    }
    tested.add(loaded.suite.policy)
    for (const result of runSuite(loaded.suite, policies, judging)) {
      if (result.passed) {
        passed++
        io.stdout(`ok   ${file}: ${result.policy}: ${result.description}`)
      } else {
        failed++
        io.stdout(`FAIL ${file}: ${result.policy}: ${result.description}`)
        for (const problem of result.problems) io.stdout(`     - ${problem}`)
      }
    }
  }
  const validSuites = suites.length - invalidSuites
  const invalid = invalidSuites === 0 ? '' : `, ${invalidSuites} invalid ${invalidSuites === 1 ? 'suite' : 'suites'}`
  io.stdout(`${passed + failed} ${passed + failed === 1 ? 'case' : 'cases'} in ${validSuites} ${validSuites === 1 ? 'suite' : 'suites'}: ${passed} passed, ${failed} failed${invalid}`)
  const untested = policies.policies.map((p) => p.id).filter((id) => !tested.has(id))
  io.stdout(untested.length === 0 ? 'every loaded policy has test cases' : `policies without test cases (${untested.length}): ${untested.join(', ')}`)
  if (failed > 0 || invalidSuites > 0) return 1
  return config.requireAll && untested.length > 0 ? 1 : 0
}
