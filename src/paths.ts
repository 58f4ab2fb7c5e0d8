import { fileURLToPath } from 'node:url'

/** Files shipped with the package, found relative to this module (src/ in tests, dist/ when built). */
const packageRoot = fileURLToPath(new URL('..', import.meta.url))

export const bundledPaths = Object.freeze({
  packageRoot,
  metaSchema: fileURLToPath(new URL('../schemas/policy.schema.json', import.meta.url)),
  exceptionSchema: fileURLToPath(new URL('../schemas/policy-exception.schema.json', import.meta.url)),
  policies: fileURLToPath(new URL('../schemas/policies', import.meta.url)),
})
