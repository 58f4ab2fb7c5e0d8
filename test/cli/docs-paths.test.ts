// Docs that stay true: every repository path that the README or any --help text names exists. Help text once
// pointed at a docs/cli.md that had been removed.
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { repoRoot } from '../support/fixtures.js'
import { ensureBuilt, runCli } from './support/cli.js'

t.before(ensureBuilt)
t.setTimeout(300_000)

// A path into one of the repository's top-level folders, up to the first character that cannot be in one
// (placeholders like <id> and globs like *.json end it; the folder before them must exist).
const repoPath = /(?<![\w./-])(?:\.ci|docs|schemas|src|test|charts|bench|scripts)\/[\w./-]*[\w]/g

function pathsIn(text: string): string[] {
  const links = [...text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)].map((m) => m[1] ?? '').filter((l) => !/^[a-z]+:/.test(l) && l !== '')
  return [...new Set([...(text.match(repoPath) ?? []), ...links])]
}

t.test('every path the README names exists', async (t) => {
  const paths = pathsIn(readFileSync(path.join(repoRoot, 'README.md'), 'utf8'))
  t.ok(paths.includes('docs/operations.md') && paths.includes('schemas/policy.schema.json'), 'paths are found')
  for (const p of paths) t.ok(existsSync(path.join(repoRoot, p)), p)
})

for (const command of ['', 'serve', 'review', 'check', 'test', 'audit']) {
  t.test(`every path endpoint-guard ${command} --help names exists`, async (t) => {
    const run = await runCli([...(command === '' ? [] : [command]), '--help'])
    t.equal(run.code, 0)
    for (const p of pathsIn(run.stdout)) t.ok(existsSync(path.join(repoRoot, p)), p)
    t.notMatch(run.stdout, /docs\/cli\.md/, 'no pointer to the removed docs/cli.md')
  })
}

t.test('the paths in the docs/ pages exist too', async (t) => {
  for (const page of ['docs/architecture.md', 'docs/operations.md', 'docs/performance.md']) {
    for (const p of pathsIn(readFileSync(path.join(repoRoot, page), 'utf8'))) {
      const target = p.startsWith('.') ? path.join(repoRoot, 'docs', p) : path.join(repoRoot, p)
      t.ok(existsSync(target), `${page}: ${p}`)
    }
  }
})
