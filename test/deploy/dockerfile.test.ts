// Static checks of the Dockerfile and .dockerignore (no Docker daemon in CI).
import { readFileSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { repoRoot } from '../support/fixtures.js'

type Instruction = { keyword: string; args: string }
type Stage = { from: string; name: string | undefined; instructions: Instruction[] }

/** Splits a Dockerfile into stages of instructions, joining continuation lines and dropping comments. */
function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = []
  const logical = text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
  for (const line of logical) {
    const match = /^(\w+)\s+(.*)$/.exec(line)
    if (!match) throw new Error(`unparsable Dockerfile line: ${line}`)
    const keyword = (match[1] ?? '').toUpperCase()
    const args = match[2] ?? ''
    if (keyword === 'FROM') {
      const from = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args)
      stages.push({ from: from?.[1] ?? args, name: from?.[2], instructions: [] })
    } else if (keyword !== 'ARG' || stages.length > 0) {
      const stage = stages.at(-1)
      if (!stage) throw new Error(`${keyword} before the first FROM`)
      stage.instructions.push({ keyword, args })
    }
  }
  return stages
}

const stages = parseDockerfile(readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8'))
const final = stages.at(-1) as Stage
const argsOf = (stage: Stage, keyword: string): string[] => stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args)

t.test('multi-stage build on Node 20', async (t) => {
  t.ok(stages.length >= 2, 'more than one stage')
  for (const stage of stages) t.match(stage.from, /^(docker\.io\/(library\/)?)?node:20[.\-\w]*(@sha256:[a-f0-9]{64})?$|^gcr\.io\/distroless\/nodejs20/, `${stage.name ?? 'stage'} is Node 20`)
  const builds = stages.flatMap((s) => argsOf(s, 'RUN')).filter((r) => /npm run build/.test(r))
  t.ok(builds.length > 0, 'npm run build in a build stage')
  t.same(argsOf(final, 'RUN').filter((r) => /npm run build|npm (ci|install)(?!.*--omit=dev)/.test(r)), [], 'no build or dev install in the final stage')
})

t.test('the final stage holds production dependencies only', async (t) => {
  const copies = argsOf(final, 'COPY')
  const nodeModules = copies.filter((c) => /node_modules/.test(c))
  t.equal(nodeModules.length, 1, 'node_modules copied once')
  const source = /--from=(\S+)/.exec(nodeModules[0] ?? '')?.[1]
  const depsStage = stages.find((s) => s.name === source)
  t.ok(depsStage, `node_modules comes from a named stage (${source})`)
  if (depsStage) {
    const installs = argsOf(depsStage, 'RUN').filter((r) => /npm (ci|install)/.test(r))
    t.ok(installs.length > 0 && installs.every((r) => /--omit=dev/.test(r) && /--ignore-scripts/.test(r)), `${source} installs with --omit=dev --ignore-scripts`)
  }
  t.ok(copies.some((c) => /--from=\S+\s+\S*dist\S*\s+\S*dist/.test(c)), 'dist/ copied from the build stage')
  t.ok(copies.some((c) => /^schemas\s/.test(c)), 'schemas/ (bundled policies, meta-schema) copied')
  t.ok(copies.some((c) => /^package\.json\s/.test(c)), 'package.json copied ("type": "module" for dist/)')
  t.notOk(copies.some((c) => /^(src|test)\b|^\.\s/.test(c)), 'no sources, tests or whole context in the final stage')
})

t.test('the final stage runs node dist/main.js as a numeric non-root user', async (t) => {
  const users = argsOf(final, 'USER')
  t.equal(users.length, 1, 'one USER')
  const [uid, gid] = (users[0] ?? '').split(':')
  t.match(uid, /^\d+$/, 'numeric UID (runAsNonRoot can verify it)')
  t.not(Number(uid), 0, 'not root')
  if (gid !== undefined) t.match(gid, /^\d+$/, 'numeric GID')
  const keywords = final.instructions.map((i) => i.keyword)
  t.ok(keywords.indexOf('USER') > keywords.lastIndexOf('RUN'), 'USER comes after every RUN')
  const entrypoint = argsOf(final, 'ENTRYPOINT').at(-1)
  const cmd = argsOf(final, 'CMD').at(-1)
  t.ok(entrypoint, 'an ENTRYPOINT')
  const parsed = JSON.parse(entrypoint ?? 'null') as unknown
  t.same(parsed, ['node', 'dist/main.js'], 'exec-form ENTRYPOINT: node dist/main.js, no npm, no shell')
  t.same(JSON.parse(cmd ?? 'null'), ['serve'], 'exec-form CMD: serve')
  t.equal(argsOf(final, 'WORKDIR').at(-1), '/app')
  t.notMatch(`${entrypoint} ${cmd}`, /npm|sh -c/)
})

t.test("the final stage pins glibc's trim threshold (RSS after a large cluster's initial list)", async (t) => {
  // bench/context-scale.mjs reads this line to measure what the image runs; a different spelling would go unmeasured.
  t.ok(argsOf(final, 'ENV').includes('MALLOC_TRIM_THRESHOLD_=131072'), 'ENV MALLOC_TRIM_THRESHOLD_=131072')
})

t.test('.dockerignore keeps the build context small and clean', async (t) => {
  const patterns = readFileSync(path.join(repoRoot, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim().replace(/^\/|\/$/g, ''))
    .filter((l) => l !== '' && !l.startsWith('#'))
  for (const entry of ['node_modules', '.git', 'test', 'dist', 'coverage']) t.ok(patterns.includes(entry), `excludes ${entry}`)
  for (const needed of ['src', 'schemas', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json']) {
    t.notOk(patterns.includes(needed), `keeps ${needed}`)
  }
})
