// Optional security (login, session token, AUTHENTICATE, expiry) and TLS.
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect as tlsConnect } from 'node:tls'
import {
  encodeLogin, encodeAuthenticate, parseLoginResponse, decodeAdminMessage,
  makeMessage, FieldType, Info1, computeDigest
} from '../../lib/proto/index.js'
import { startTestCluster } from '../../lib/server/index.js'
import { Particle } from '../../lib/types.js'
import { ReplayConn } from './replay.js'

t.test('without security every admin message gets 51 like CE', async t => {
  const c = await startTestCluster()
  t.teardown(() => c.close())
  const conn = await ReplayConn.open(c.nodes[0]!.port)
  const r = await conn.send(encodeLogin('INTERNAL', 'u', 'p'), false)
  t.equal(decodeAdminMessage(r[0]!.body).resultCode, 51)
  conn.close()
})

t.test('login, token reuse on new connections, expiry', async t => {
  const c = await startTestCluster({ nodes: 1, security: { users: { admin: 'secret' }, sessionTtlSeconds: 120 } })
  t.teardown(() => c.close())
  const port = c.nodes[0]!.port
  const a = await ReplayConn.open(port)
  // unauthenticated: commands refused
  const refused = await a.msg(makeMessage({ info1: Info1.READ | Info1.GET_ALL, fields: [{ type: FieldType.NAMESPACE, data: Buffer.from('test') }, { type: FieldType.DIGEST, data: computeDigest('s', { type: Particle.STRING, value: Buffer.from('k') }) }] }))
  t.equal(refused[0]!.resultCode, 80)
  t.match((await a.info(['node'])).get('node'), /^ERROR:80/)
  t.equal(parseLoginResponse((await a.send(encodeLogin('INTERNAL', 'admin', 'wrong'), false))[0]!.body).resultCode, 65)
  t.equal(parseLoginResponse((await a.send(encodeLogin('INTERNAL', 'nobody', 'x'), false))[0]!.body).resultCode, 60)
  const ok = parseLoginResponse((await a.send(encodeLogin('INTERNAL', 'admin', 'secret'), false))[0]!.body)
  t.equal(ok.resultCode, 0)
  t.equal(ok.ttlSeconds, 120)
  t.ok(ok.token !== null && ok.token.length > 0)
  t.equal((await a.info(['node'])).get('node'), c.nodes[0]!.id, 'the login connection is authenticated')

  const b = await ReplayConn.open(port)
  t.equal(decodeAdminMessage((await b.send(encodeAuthenticate('admin', ok.token!), false))[0]!.body).resultCode, 0)
  t.equal((await b.info(['build'])).get('build'), '8.1.2.0')
  const bad = await ReplayConn.open(port)
  t.equal(decodeAdminMessage((await bad.send(encodeAuthenticate('admin', Buffer.from('forged')), false))[0]!.body).resultCode, 65)

  c.advanceTime(121)
  const late = await ReplayConn.open(port)
  t.equal(decodeAdminMessage((await late.send(encodeAuthenticate('admin', ok.token!), false))[0]!.body).resultCode, 66, 'EXPIRED_SESSION')
  for (const x of [a, b, bad, late]) x.close()
})

t.test('TLS listener with a throwaway certificate', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'asb-tls-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
      '-days', '1', '-subj', '/CN=asb-test', '-addext', 'subjectAltName=DNS:asb-test,IP:127.0.0.1'], { stdio: 'ignore' })
  } catch {
    t.pass('openssl CLI not available: TLS not exercised')
    return
  }
  const cert = readFileSync(join(dir, 'cert.pem'))
  const c = await startTestCluster({ nodes: 2, tls: { key: readFileSync(join(dir, 'key.pem')), cert, name: 'asb-test' } })
  t.teardown(() => c.close())
  const sock = tlsConnect({ host: '127.0.0.1', port: c.nodes[0]!.port, ca: cert, servername: 'asb-test' })
  await new Promise<void>((resolve, reject) => { sock.once('secureConnect', resolve); sock.once('error', reject) })
  const conn = ReplayConn.wrap(sock)
  const info = await conn.info(['node', 'peers-tls-std', 'peers-clear-std'])
  t.equal(info.get('node'), c.nodes[0]!.id)
  t.match(info.get('peers-tls-std'), `[${c.nodes[1]!.id},asb-test,[127.0.0.1:${c.nodes[1]!.port}]]`)
  t.match(info.get('peers-clear-std'), /,\[\]$/)
  conn.close()
})
