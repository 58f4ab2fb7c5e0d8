/** What a command may touch of the process: passed in, so tests drive commands without spawning one. */
export interface Io {
  stdout: (s: string) => void
  stderr: (s: string) => void
  stdin: NodeJS.ReadableStream
  env: NodeJS.ProcessEnv
  setExitCode: (code: number) => void
}
