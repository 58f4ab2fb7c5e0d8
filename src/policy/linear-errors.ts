import { guardError } from '../errors.js'

/*
 * Ajv merges the errors of a function keyword (`uniqueBy`, `service`, ...) and of a `$ref` to a separately
 * compiled schema (one policy reusing another's $defs, a recursive $ref) with
 *   vErrors = vErrors === null ? X.errors : vErrors.concat(X.errors);
 * which copies every error found so far each time a value fails: quadratic in the number of violations (an
 * Endpoints object of 100,000 multicast addresses and 8,000 subsets with duplicate port names held the event loop
 * for 10 s; 140,000 violations under a $ref, 9 s). Ajv's own errors are pushed one by one, so this rewrite makes
 * the merge a push loop too, and evaluation is linear whatever keyword or reference reports per item.
 *
 * Why post-processing (Ajv's `code.process`) rather than turning each such keyword into a code keyword (as the IP
 * keywords are, string-check.ts): it is the only fix that also covers `$ref` (Ajv's ref keyword cannot be
 * replaced), and it covers every function keyword a policy author places under `items`, today's and tomorrow's.
 * It depends on the text Ajv generates, so it is checked: a compiled function that still concatenates errors is
 * refused at load (EG_AJV_CODEGEN, a policy load error), never silently quadratic, and
 * test/policy/linear-errors.test.ts fails on an Ajv whose code no longer matches.
 */

// X is an identifier or a property path (`validate43.errors`, `keyword8.errors`, `e0.errors`), evaluated twice by
// Ajv's own code already, so reading it twice here changes nothing.
const concatMerge = /vErrors = vErrors === null \? ([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*) : vErrors\.concat\(\1\);/g

/** Ajv's `code.process`: the generated source of one schema, with every error merge made a push loop. */
export function linearErrorMerging(source: string): string {
  // `egMerged` cannot clash: Ajv's own names are `data0`, `err1`, `valid2`, `validate3`, `keyword4`, ...
  const rewritten = source.replace(concatMerge, (_all, errs: string) => `if (vErrors === null) vErrors = ${errs}; else for (const egMerged of ${errs}) vErrors.push(egMerged);`)
  const left = /vErrors\.concat\(/.exec(rewritten)
  if (left !== null) throw guardError('EG_AJV_CODEGEN', rewritten.slice(Math.max(0, left.index - 60), left.index + 40))
  return rewritten
}
