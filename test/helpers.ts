// Shared test helpers. Tests run from dist/test/ (compiled), so paths are
// resolved from the repository root, never from the compiled file.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { dirname, join, resolve } from 'node:path'

/** Repository root (the folder holding package.json). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
/** ../shared beside the repository: read-only golden fixtures and references. */
export const SHARED = resolve(ROOT, '..', 'shared')
export const ASB_FIXTURES = join(SHARED, 'fixtures', 'asb')
export const WIRE_FIXTURES = join(SHARED, 'fixtures', 'wire')

/** Path of a compiled binary, e.g. bin('as-encode'). */
export function bin (name: string): string {
  return join(ROOT, 'dist', 'cmd', `${name}.js`)
}

export interface RunResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: Buffer
  stderr: string
}

/** Run a compiled binary with optional stdin bytes; resolves when it exits. */
export function runBin (name: string, args: string[], opts: { input?: Buffer | string, env?: NodeJS.ProcessEnv, timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [bin(name), ...args], {
      env: opts.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: opts.timeoutMs ?? 120_000
    })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (c: Buffer) => out.push(c))
    child.stderr.on('data', (c: Buffer) => err.push(c))
    child.on('error', reject)
    child.on('close', (code, signal) => {
      resolvePromise({ code, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') })
    })
    child.stdin.on('error', () => {})
    if (opts.input !== undefined) child.stdin.end(opts.input)
    else child.stdin.end()
  })
}

/** A value the official client returned, as JSON with bigints, Buffers and Maps tagged (for child-process drivers). */
export function plain (v: unknown): unknown {
  if (typeof v === 'bigint') return { bigint: v.toString() }
  if (Buffer.isBuffer(v)) return { buffer: v.toString('hex') }
  if (v instanceof Map) return { map: [...v.entries()].map(([k, x]) => [plain(k), plain(x)]) }
  if (Array.isArray(v)) return v.map(plain)
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]))
  return v
}
