/**
 * Validates SARIF logs against the published SARIF 2.1.0 schema, offline: the schema ships in the devDependency
 * @microsoft/jest-sarif (lib/schemas/sarif-2.1.0-rtm.5.json; only that JSON file is read, never the package's
 * entry, which needs jest). It is draft-04: its `id` header becomes `$id` for Ajv's draft-07 class, and rtm.5 has
 * one pattern that is not valid under the `u` flag, hence unicodeRegExp: false. See the research note sarif.md.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import Ajv from 'ajv'
import addFormats from 'ajv-formats'

const require = createRequire(import.meta.url)
const file = require.resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json')
const { $schema: _draft, id, ...body } = JSON.parse(readFileSync(file, 'utf8')) as { $schema: string; id: string } & Record<string, unknown>
const ajv = new Ajv.default({ allErrors: true, unicodeRegExp: false, strict: false })
addFormats.default(ajv)

export const validateSarif = ajv.compile({ $id: id, ...body })
