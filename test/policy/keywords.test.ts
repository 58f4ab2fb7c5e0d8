// One generic runner for the custom keyword, format and message cases in test/fixtures/keywords/*.json, written
// in the JSON-Schema-Test-Suite shape. A new case is data: add it to a file, no TypeScript.
//
//   [{ "description", "schema", "compileError"?: "fragment", "context"?: [objects],
//      "tests": [{ "description", "data", "valid", "messages"?: ["fragment", ...], "request"?: {...} }] }]
//
// Each schema is compiled with the policies' own Ajv configuration (createAjv). `messages` fragments must each
// appear in one rendered violation (renderErrors + violationText, what users read). A group with `compileError`
// must fail to compile with that fragment in the error. Keywords see an evaluation context as they do in the
// engine: the group's `context` objects (Namespaces, Services, Nodes, slices) as the cluster, and a CREATE of
// `data` by `endpoint-guard-offline` in `default`, with the case's `request` fields (userInfo, operation,
// oldObject, namespace) laid over it.
import { readdirSync, readFileSync } from 'node:fs'
import t from 'tap'
import { staticContext } from '../../src/cluster/static-context.js'
import type { AdmissionRequest } from '../../src/kube/admission.js'
import type { KubeObject } from '../../src/kube/object.js'
import { createAjv } from '../../src/policy/ajv.js'
import type { ClusterContext, EvaluationContext } from '../../src/policy/context.js'
import { renderErrors, violationText } from '../../src/policy/render.js'

interface KeywordCase {
  description: string
  data: unknown
  valid: boolean
  messages?: string[]
  request?: Partial<AdmissionRequest>
}

interface KeywordGroup {
  description: string
  schema: unknown
  compileError?: string
  context?: Array<Record<string, unknown>>
  tests: KeywordCase[]
}

function evaluationContext(c: KeywordCase, cluster: ClusterContext): EvaluationContext {
  const request: AdmissionRequest = {
    uid: '00000000-0000-0000-0000-000000000000',
    kind: { group: '', version: 'v1', kind: 'Unknown' },
    resource: { group: '', version: 'v1', resource: 'unknowns' },
    namespace: 'default',
    operation: 'CREATE',
    userInfo: { username: 'endpoint-guard-offline' },
    object: c.data as KubeObject,
    ...(c.request as AdmissionRequest | undefined),
  }
  return { request, namespace: request.namespace ?? 'default', cluster }
}

const dir = new URL('../fixtures/keywords/', import.meta.url)
const files = readdirSync(dir).filter((name) => name.endsWith('.json')).sort()

t.ok(files.length > 0, 'keyword fixture files are found')

for (const file of files) {
  const groups = JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as KeywordGroup[]
  t.test(file, async (t) => {
    t.ok(Array.isArray(groups) && groups.length > 0, 'the file holds at least one group')
    for (const group of groups) {
      t.test(group.description, async (t) => {
        // A fresh instance per group: Ajv caches compiled schemas, and one group must not see another's.
        const ajv = createAjv()
        if (group.compileError !== undefined) {
          t.throws(() => ajv.compile(group.schema as object), { message: new RegExp(escape(group.compileError)) }, 'the schema does not compile')
          t.same(group.tests, [], 'a schema that does not compile has no data tests')
          return
        }
        const validate = ajv.compile(group.schema as object)
        const cluster = staticContext(group.context ?? [])
        t.ok(group.tests.length > 0, 'the group has tests')
        for (const c of group.tests) {
          const valid = validate.call(evaluationContext(c, cluster), c.data)
          const texts = renderErrors(validate.errors ?? []).map(violationText)
          t.equal(valid, c.valid, c.description, { data: c.data, messages: texts })
          if (c.valid) t.same(texts, [], `${c.description}: no messages`)
          for (const fragment of c.messages ?? []) {
            t.ok(texts.some((text) => text.includes(fragment)), `${c.description}: a message contains ${JSON.stringify(fragment)}`, { got: texts })
          }
        }
      })
    }
  })
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
