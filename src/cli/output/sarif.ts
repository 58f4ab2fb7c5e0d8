import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { stdinName } from '../../manifest/inputs.js'
import { cutEnd } from '../../policy/render.js'
import type { PolicySet } from '../../policy/types.js'
import { exceptionNote, objectOf, shownAction, type Output, type ReportedFinding, type Result, type RunError } from './result.js'

/** What a SARIF log names besides the results: the tool, its rules (the policies), and where paths start. */
export interface SarifContext {
  version: string
  /** the loaded policies: one rule each; absent when they did not load */
  policies: PolicySet | undefined
  /** result URIs are relative to it, as code scanning wants them relative to the repository root */
  cwd: string
}

const levels = { deny: 'error', warn: 'warning', audit: 'note', mutate: 'note' } as const
// GitHub code scanning cuts rule descriptions at 1024 characters; cut them here, where it shows.
const maxDescription = 1024

const firstSentence = (s: string) => /^.*?[.!?](?=\s|$)/.exec(s)?.[0] ?? s

/** `deploy/x.yaml`: relative to the working directory with forward slashes, each segment percent-encoded. */
function uriOf(file: string, cwd: string): string {
  const absolute = path.resolve(cwd, file)
  const relative = path.relative(cwd, absolute)
  if (relative.startsWith('..') || path.isAbsolute(relative)) return pathToFileURL(absolute).href
  return relative.split(path.sep).map(encodeURIComponent).join('/')
}

function rulesOf(policies: PolicySet | undefined): object[] {
  return (policies?.policies ?? []).map((p) => {
    const description = p.document.description
    return {
      id: p.id,
      shortDescription: { text: cutEnd(firstSentence(description), maxDescription) },
      fullDescription: { text: cutEnd(description, maxDescription) },
      help: { text: `${description} Action: ${p.action}; applies to ${p.document.match.kinds.join(', ')}.` },
      defaultConfiguration: { level: levels[p.action] },
      properties: { tags: ['kubernetes', ...p.document.match.kinds] },
    }
  })
}

/**
 * SARIF 2.1.0 for code scanning (github/codeql-action/upload-sarif): one run, one rule per loaded policy, one
 * result per finding at its file and line (level error for deny, warning for warn, note for audit). Documents
 * that cannot be read or evaluated, and a run error, are the invocation's toolExecutionNotifications, with
 * executionSuccessful false: they are failures of the check, not findings in the code. Results are written one
 * per line as they come, so a large run is never held.
 */
export function sarifOutput(write: (line: string) => void, context: SarifContext): Output {
  const ruleIndex = new Map((context.policies?.policies ?? []).map((p, i) => [p.id, i]))
  const notifications: object[] = []
  const physical = (file: string | undefined, line: number | undefined) => {
    if (file === undefined || file === stdinName) return undefined
    const location: Record<string, unknown> = { artifactLocation: { uri: uriOf(file, context.cwd), uriBaseId: '%SRCROOT%' } }
    if (line !== undefined && line >= 1) location['region'] = { startLine: line }
    return location
  }
  const location = (r: Result, line: number | undefined) => {
    const out: Record<string, unknown> = {}
    const where = physical(r.file, line)
    if (where !== undefined) out['physicalLocation'] = where
    if (r.kind !== undefined) out['logicalLocations'] = [{ fullyQualifiedName: objectOf(r), kind: 'resource' }]
    return out
  }
  const resultOf = (r: Result, f: ReportedFinding) => {
    const value = f.value === undefined ? '' : `${f.value}: `
    const out: Record<string, unknown> = { ruleId: f.policy }
    const index = ruleIndex.get(f.policy)
    if (index !== undefined) out['ruleIndex'] = index
    out['level'] = levels[shownAction(f)]
    out['message'] = { text: `${objectOf(r)}: ${f.path}: ${f.type}: ${value}${f.detail}${exceptionNote(f)}` }
    out['locations'] = [location(r, f.line ?? r.line)]
    return out
  }

  const rules = rulesOf(context.policies)
  write('{')
  write('  "$schema": "https://json.schemastore.org/sarif-2.1.0.json",')
  write('  "version": "2.1.0",')
  write('  "runs": [')
  write('    {')
  write('      "tool": {')
  write('        "driver": {')
  write('          "name": "endpoint-guard",')
  write(`          "semanticVersion": ${JSON.stringify(context.version)},`)
  write(`          "rules": [${rules.length === 0 ? ']' : ''}`)
  rules.forEach((rule, i) => write(`            ${JSON.stringify(rule)}${i < rules.length - 1 ? ',' : ''}`))
  if (rules.length > 0) write('          ]')
  write('        }')
  write('      },')
  write('      "results": [')
  let pending: string | undefined
  return {
    result(r) {
      for (const f of r.findings) {
        if (pending !== undefined) write(`${pending},`)
        pending = `        ${JSON.stringify(resultOf(r, f))}`
      }
      if (r.status === 'error') {
        const notification: Record<string, unknown> = { level: 'error', message: { text: r.error ?? 'unknown error' } }
        const where = location(r, r.line)
        if (Object.keys(where).length > 0) notification['locations'] = [where]
        notifications.push(notification)
      }
    },
    end(_summary, error?: RunError) {
      if (pending !== undefined) write(pending)
      if (error !== undefined) {
        const notification: Record<string, unknown> = { level: 'error', message: { text: error.message }, descriptor: { id: error.code } }
        const where = physical(error.file, undefined)
        if (where !== undefined) notification['locations'] = [{ physicalLocation: where }]
        notifications.push(notification)
      }
      const invocation = { executionSuccessful: notifications.length === 0, toolExecutionNotifications: notifications }
      write('      ],')
      write(`      "invocations": [${JSON.stringify(invocation)}]`)
      write('    }')
      write('  ]')
      write('}')
    },
  }
}
