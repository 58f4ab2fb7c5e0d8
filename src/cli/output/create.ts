import { githubOutput } from './github.js'
import { jsonOutput } from './json.js'
import { junitOutput } from './junit.js'
import { policyReportOutput } from './policy-report.js'
import type { Format, Output, OutputLabels } from './result.js'
import { sarifOutput, type SarifContext } from './sarif.js'
import { textOutput } from './text.js'

/** What a command tells its output besides the results: its words, and for SARIF the tool and its rules. */
export type OutputContext = OutputLabels & SarifContext & {
  /** the time the results are stamped with (PolicyReports); now when not given */
  now?: Date
}

/** The Output of one format (the command's `--output`, from the settings table's outputFormats). */
export function createOutput(format: Format, write: (line: string) => void, context: OutputContext): Output {
  switch (format) {
    case 'text':
      return textOutput(write, context)
    case 'json':
      return jsonOutput(write)
    case 'github':
      return githubOutput(write, context)
    case 'junit':
      return junitOutput(write, context)
    case 'sarif':
      return sarifOutput(write, context)
    case 'policyreport':
      return policyReportOutput(write, context.now ?? new Date())
  }
}
