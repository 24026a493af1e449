// Spawning as-put-s3/as-get-s3 in tests: an isolated AWS environment, a
// deterministic random source, and a spawn that streams stdin with backpressure.
import t from 'tap'
import { spawn } from 'node:child_process'
import { createCipheriv, createHash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bin } from '../helpers.js'

export const tmp = mkdtempSync(join(tmpdir(), 'asb-s3-cli-'))
t.teardown(() => { rmSync(tmp, { recursive: true, force: true }) })
/** Env for spawned binaries: static test credentials, no IMDS, no user AWS files. */
export const env: NodeJS.ProcessEnv = {
  ...process.env,
  AWS_ACCESS_KEY_ID: 'S3RVER',
  AWS_SECRET_ACCESS_KEY: 'S3RVER',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_CONFIG_FILE: join(tmp, 'no-config'),
  AWS_SHARED_CREDENTIALS_FILE: join(tmp, 'no-credentials'),
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true'
}
delete env.AWS_PROFILE
delete env.AWS_REGION
delete env.NODE_OPTIONS

/** Deterministic pseudo-random bytes (AES-CTR keystream), generated and hashed on the fly. */
export function * randomStream (total: number, seed: number): Generator<Buffer> {
  const key = Buffer.alloc(16, seed)
  const c = createCipheriv('aes-128-ctr', key, Buffer.alloc(16))
  const zeros = Buffer.alloc(1 << 20)
  for (let left = total; left > 0; left -= zeros.length) yield c.update(left >= zeros.length ? zeros : zeros.subarray(0, left))
}

export interface Spawned { code: number | null, signal: NodeJS.Signals | null, stderr: string, sha: string, bytes: number }
/** Spawn a binary, feeding it `input` chunks with backpressure, hashing its stdout. */
export async function spawnBin (name: string, args: string[], input?: Iterable<Buffer>, onStart?: (child: ReturnType<typeof spawn>) => void): Promise<Spawned & { inSha: string }> {
  const child = spawn(process.execPath, [bin(name), ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] })
  onStart?.(child)
  const h = createHash('sha256')
  const inHash = createHash('sha256')
  let bytes = 0
  let stderr = ''
  child.stdout.on('data', (c: Buffer) => { h.update(c); bytes += c.length })
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString() })
  child.stdin.on('error', () => {})
  const done = new Promise<{ code: number | null, signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })))
  if (input !== undefined) {
    for (const chunk of input) {
      inHash.update(chunk)
      if (!child.stdin.write(chunk)) {
        const r = await Promise.race([new Promise((resolve) => child.stdin.once('drain', () => resolve('drain'))), done.then(() => 'closed')])
        if (r === 'closed') break
      }
    }
  }
  child.stdin.end()
  const { code, signal } = await done
  return { code, signal, stderr, sha: h.digest('hex'), bytes, inSha: inHash.digest('hex') }
}

