// `endpoint-guard check ... | head`: the reader goes away early. The command must end as it would have, with its
// exit status and without an EPIPE stack trace on stderr.
import t from 'tap'
import { ensureBuilt, runCli, runCliClosingStdout } from './support/cli.js'

t.before(ensureBuilt)
t.setTimeout(600_000)

// Far more output than a pipe buffers (64 KiB), so the command is still writing when the pipe closes.
const services = Array.from(
  { length: 3000 },
  (_, i) => `apiVersion: v1\nkind: Service\nmetadata: {name: web-${i}, namespace: shop}\nspec: {selector: {app: web}, ports: [{name: http, port: 80}], externalIPs: [203.0.113.${i % 250}]}\n`,
).join('---\n')

for (const format of ['json', 'text']) {
  t.test(`check -o ${format} with stdout closed after the first chunk`, async (t) => {
    const run = await runCliClosingStdout(['check', '-o', format, '-'], services)
    t.ok(run.received.length > 0, 'the reader got the start of the output')
    t.equal(run.stderr, '', 'nothing on stderr: no EPIPE, no stack trace')
    t.equal(run.code, 1, 'the exit status of the check: the external IPs are denied')
  })
}

t.test('the same check with a reader that stays prints all of it', async (t) => {
  const run = await runCli(['check', '-o', 'text', '-'], { stdin: services })
  t.equal(run.code, 1)
  t.equal(run.stdout.trimEnd().split('\n').length, 3001, 'a line per denied Service and the summary')
})
