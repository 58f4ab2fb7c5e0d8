import { Command, Option } from 'commander'
import { emptyContext } from '../cluster/context.js'
import { loadContextFile } from '../cluster/static-context.js'
import { envName, serveSettings, type SettingName } from '../config.js'
import { describeError } from '../errors.js'
import { registerAudit } from './audit.js'
import { registerCheck } from './check.js'
import { registerTest } from './test-command.js'

export interface Io {
  stdout: (s: string) => void
  stderr: (s: string) => void
  stdin: NodeJS.ReadableStream
  env: NodeJS.ProcessEnv
  setExitCode: (code: number) => void
}

function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase())
}

/** The command-line interface. Each command reads files and prints; decisions come from the same core as serve. */
export function buildProgram(io: Io): Command {
  const program = new Command('endpoint-guard')
    .description('Admission webhook and policy checker for Services, EndpointSlices and Endpoints')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout(s.replace(/\n$/, '')), writeErr: (s) => io.stderr(s.replace(/\n$/, '')) })

  const serve = program.command('serve').description('run the admission webhook (HTTPS) with probes and metrics')
  for (const setting of Object.values(serveSettings)) {
    const def = 'default' in setting ? ` (default: ${String(setting.default)})` : ''
    // No commander defaults: parseServeConfig applies them after the environment, so env can override them.
    serve.addOption(new Option(`--${setting.flag} <value>`, `${setting.help}${def}; env ${envName(setting.flag)}`))
  }
  serve.action(async (opts: Record<string, string>) => {
    const flags: Partial<Record<SettingName, string>> = {}
    for (const key of Object.keys(serveSettings) as SettingName[]) {
      const value = opts[camel(serveSettings[key].flag)]
      if (value !== undefined) flags[key] = value
    }
    // Loaded on use: the server's modules (fastify, client-node) take seconds, which check and test must not pay.
    const { runServe } = await import('./serve.js')
    await runServe(flags, io.env)
  })

  program
    .command('review')
    .description('evaluate one AdmissionReview (file or - for stdin) and print the AdmissionReview answer')
    .argument('[file]', 'AdmissionReview JSON; - or nothing reads stdin')
    .option('--policies <dir>', 'policy directory (default: the bundled policies)')
    .option('--mutate', 'answer as POST /mutate would (default: /validate)')
    .option('--namespaces <file>', 'Namespace and Service manifests giving cluster context')
    .action(async (file: string | undefined, opts: { policies?: string; mutate?: boolean; namespaces?: string }) => {
      const { readInput, runReview } = await import('./review.js')
      let text: string
      try {
        text = await readInput(file, io.stdin)
      } catch (err) {
        io.stderr(`endpoint-guard review: cannot read ${file ?? 'stdin'}: ${describeError(err)}`)
        io.setExitCode(2)
        return
      }
      const context = opts.namespaces === undefined ? emptyContext : await loadContextFile(opts.namespaces)
      const options = { webhook: opts.mutate === true ? ('mutate' as const) : ('validate' as const), context }
      io.setExitCode(await runReview(text, opts.policies === undefined ? options : { ...options, policies: opts.policies }, io.stdout, io.stderr))
    })
  registerCheck(program, io)
  registerTest(program, io)
  registerAudit(program, io)
  return program
}
