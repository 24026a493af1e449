// The standalone launcher: starts N nodes, prints them and the seeds on
// stdout, serves the protocol, exits 0 on SIGTERM; bad flags exit 2.
import t from 'tap'
import { spawn } from 'node:child_process'
import { bin, runBin } from '../helpers.js'
import { ReplayConn } from './replay.js'

t.test('as-test-server --nodes 2 --port 0 serves until SIGTERM', async t => {
  const child = spawn(process.execPath, [bin('as-test-server'), '--nodes', '2', '--port', '0', '--namespace', 'test:nsup-period=0', '--namespace', 'bar'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  const seeds = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString()
      const m = /^seeds (.*)$/m.exec(out)
      if (m !== null) resolve(m[1]!)
    })
    child.on('error', reject)
    child.on('close', code => reject(new Error(`exited ${code}`)))
  })
  const lines = out.trim().split('\n')
  t.equal(lines.length, 3)
  t.match(lines[0], /^127\.0\.0\.1:\d+ BB901000000FC02$/)
  t.equal(seeds.split(',').length, 2)
  const port = Number(seeds.split(',')[0]!.split(':')[1])
  const conn = await ReplayConn.open(port)
  const info = await conn.info(['namespaces', 'get-config:context=namespace;id=test'])
  t.equal(info.get('namespaces'), 'test;bar')
  t.match(info.get('get-config:context=namespace;id=test'), /(^|;)nsup-period=0(;|$)/)
  conn.close()
  const code = await new Promise<number | null>(resolve => { child.once('close', resolve); child.kill('SIGTERM') })
  t.equal(code, 0)
})

t.test('bad flags are usage errors', async t => {
  const r = await runBin('as-test-server', ['--nodes', '0'])
  t.equal(r.code, 2)
  t.match(r.stderr, /^as-test-server: --nodes must be 1\.\.64/)
  const r2 = await runBin('as-test-server', ['--namespace', 'test:oops'])
  t.equal(r2.code, 2)
  t.match(r2.stderr, /not key=value/)
})
