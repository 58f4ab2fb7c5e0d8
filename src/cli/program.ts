import { Command } from 'commander'
import { registerAudit } from './audit.js'
import { registerCheck } from './check.js'
import type { Io } from './io.js'
import { registerReview } from './review.js'
import { registerServe } from './serve.js'
import { registerTest } from './test-command.js'

/** The command-line interface. Each command reads files and prints; decisions come from the same core as serve. */
export function buildProgram(io: Io, version: string): Command {
  const program = new Command('endpoint-guard')
    .description('Admission webhook and policy checker for Services, EndpointSlices and Endpoints')
    .version(version)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout(s.replace(/\n$/, '')), writeErr: (s) => io.stderr(s.replace(/\n$/, '')) })
  registerServe(program, io)
  registerReview(program, io)
  registerCheck(program, io, version)
  registerTest(program, io)
  registerAudit(program, io, version)
  return program
}
