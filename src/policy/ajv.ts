import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import { kubernetesFormats } from './formats.js'
import type { PolicyKeyword } from './keywords/definition.js'
import { hostnameNotInternal } from './keywords/hostname-not-internal.js'
import { ipAddress } from './keywords/ip-address.js'
import { ipInCidrs, ipNotInCidrs } from './keywords/ip-cidrs.js'
import { ipListInCidrs } from './keywords/ip-list-in-cidrs.js'
import { ipNotSpecial } from './keywords/ip-not-special.js'
import { labelChangesBy } from './keywords/label-changes-by.js'
import { messageKeyword } from './keywords/message.js'
import { noPlantedSlices } from './keywords/no-planted-slices.js'
import { notClusterAddress } from './keywords/not-cluster-address.js'
import { requestUserIn } from './keywords/request-user-in.js'
import { reservedServices } from './keywords/reserved-services.js'
import { service } from './keywords/service.js'
import { uniqueBy } from './keywords/unique-by.js'
import { linearErrorMerging } from './linear-errors.js'
import { reportingKeywords } from './vocabulary.js'

/** The keywords that check values: each reports its failures under its own name. */
const checkKeywords: readonly PolicyKeyword[] = [
  ipAddress,
  ipNotSpecial,
  ipInCidrs,
  ipNotInCidrs,
  ipListInCidrs,
  notClusterAddress,
  hostnameNotInternal,
  uniqueBy,
  service,
  reservedServices,
  noPlantedSlices,
  requestUserIn,
  labelChangesBy,
]

/**
 * Every custom keyword, in the order schemas/policy.schema.json lists them. `message` may name the reporting
 * standard keywords and every check keyword, so a keyword added above is nameable at once.
 */
export const customKeywords: readonly PolicyKeyword[] = [...checkKeywords, messageKeyword([...reportingKeywords, ...checkKeywords.map((k) => k.keyword)])]

/**
 * The Ajv configuration, in one place. Policies are compiled by one validating instance; mutate policies need
 * `useDefaults`, which Ajv only offers per instance, so they get a second one configured the same way.
 * strictSchema catches misspelt keywords in policy files; strictTypes/strictRequired stay off because they
 * reject ordinary partial schemas ("properties" without "type": "object") that policy authors write.
 */
export function createAjv(options: { useDefaults?: boolean } = {}): Ajv2020 {
  const ajv = new Ajv2020({
    allErrors: true,
    verbose: true,
    strict: true,
    strictTypes: false,
    strictRequired: false,
    strictTuples: false,
    allowUnionTypes: true,
    useDefaults: options.useDefaults ?? false,
    passContext: true,
    // $data lets a schema compare two fields of the object (endpointslice-target-ref: targetRef.namespace).
    $data: true,
    messages: true,
    // Error merging made linear in the number of violations (linear-errors.ts says why it is done this way).
    code: { process: linearErrorMerging },
  })
  // Formats only: ajv-formats' formatMinimum/formatMaximum keywords are not part of the documented set.
  addFormats.default(ajv, { keywords: false })
  for (const [name, format] of Object.entries(kubernetesFormats)) ajv.addFormat(name, format)
  for (const keyword of customKeywords) ajv.addKeyword(keyword)
  return ajv
}
