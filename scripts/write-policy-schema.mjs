#!/usr/bin/env node
// `npm run schemas`: writes schemas/policy.schema.json from the keywords the built code registers
// (src/policy/meta-schema.ts). test/policy/meta-schema.test.ts fails until the shipped file matches.
import { writeFileSync } from 'node:fs'

const { policyMetaSchema } = await import(new URL('../dist/policy/meta-schema.js', import.meta.url).href)

/** One line: `{"a": 1, "b": [true, "x"]}`. */
function flat(value) {
  if (Array.isArray(value)) return `[${value.map(flat).join(', ')}]`
  if (typeof value === 'object' && value !== null) return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${flat(v)}`).join(', ')}}`
  return JSON.stringify(value)
}

/** JSON with two-space indents, except that a value fitting on its line stays on it: shorter, easier to read. */
function print(value, indent = '') {
  const line = flat(value)
  if (typeof value !== 'object' || value === null || indent.length + line.length <= 110) return line
  const inner = `${indent}  `
  if (Array.isArray(value)) return `[\n${value.map((v) => `${inner}${print(v, inner)}`).join(',\n')}\n${indent}]`
  const entries = Object.entries(value).map(([k, v]) => `${inner}${JSON.stringify(k)}: ${print(v, inner)}`)
  return `{\n${entries.join(',\n')}\n${indent}}`
}

const file = new URL('../schemas/policy.schema.json', import.meta.url)
writeFileSync(file, `${print(policyMetaSchema())}\n`)
console.log(`wrote ${file.pathname}`)
