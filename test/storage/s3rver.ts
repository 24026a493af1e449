// Start s3rver (a real S3-compatible server, filesystem-backed) in a child
// process on an ephemeral loopback port, with a fresh temp directory.
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export interface S3rverHandle { endpoint: string, port: number, child: ChildProcess, close: () => Promise<void> }

export async function startS3rver (buckets: string[]): Promise<S3rverHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'asb-s3rver-'))
  const script = fileURLToPath(new URL('./s3rver-child.js', import.meta.url))
  const child = spawn(process.execPath, [script, dir, ...buckets], {
    env: { ...process.env, NODE_OPTIONS: '--openssl-legacy-provider' },
    stdio: ['pipe', 'pipe', 'inherit']
  })
  const port = await new Promise<number>((resolve, reject) => {
    let buf = ''
    child.stdout!.on('data', (c: Buffer) => {
      buf += c.toString()
      const nl = buf.indexOf('\n')
      if (nl >= 0) resolve(Number(buf.slice(0, nl)))
    })
    child.on('error', reject)
    child.on('exit', (code) => { reject(new Error(`s3rver exited with ${String(code)}`)) })
  })
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    child,
    close: async () => {
      const gone = new Promise((resolve) => child.once('exit', resolve))
      child.stdin!.end()
      const t = setTimeout(() => child.kill('SIGKILL'), 5000)
      await gone
      clearTimeout(t)
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
