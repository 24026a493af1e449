import t from 'tap'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Cluster } from '../../lib/client/cluster.js'
import { createPartitionScan } from '../../lib/client/scan.js'
import { startFakeCluster, seedRecords } from './fake-cluster.js'
import { makeRecord } from './util.js'

t.test('logs in once per node, authenticates new connections with the token, re-logs in on expiry', async t => {
  const fake = await startFakeCluster({ nodes: 2, users: { admin: 'secret' } })
  seedRecords(fake, 'demo', 100, i => makeRecord('demo', i))
  const cluster = await Cluster.connect({ hosts: fake.seeds, tendIntervalMs: 0, auth: { user: 'admin', password: 'secret' } })
  t.teardown(async () => { cluster.close(); await fake.close() })
  const loginsAfterConnect = fake.logins
  t.equal(loginsAfterConnect, 2, 'one login per node (the validated connection joins the pool)')
  const n = fake.authenticates
  let count = 0
  for await (const _ of createPartitionScan(cluster, { namespace: 'test', set: 'demo', parallel: 4 })) count++
  t.equal(count, 100)
  t.equal(fake.logins, loginsAfterConnect, 'no new login')
  t.ok(fake.authenticates > n, 'new scan connections used AUTHENTICATE with the session token')
  fake.expireSessions()
  count = 0
  for await (const _ of createPartitionScan(cluster, { namespace: 'test', set: 'demo', parallel: 8 })) count++
  t.equal(count, 100)
  t.ok(fake.logins > loginsAfterConnect, 'an expired session leads to a fresh login')
})

t.test('a short session TTL is renewed before it runs out', async t => {
  const fake = await startFakeCluster({ nodes: 1, users: { u: 'p' }, sessionTtl: 1 })
  const cluster = await Cluster.connect({ hosts: fake.seeds, tendIntervalMs: 0, maxConnectionsPerNode: 1, auth: { user: 'u', password: 'p' } })
  t.teardown(async () => { cluster.close(); await fake.close() })
  const before = fake.logins
  const auths = fake.authenticates
  await new Promise(resolve => setTimeout(resolve, 600))
  const node = cluster.nodes[0]
  for (let i = 0; i < 3; i++) node.release(await node.acquire(), false) // idle one, then two fresh connections
  t.equal(fake.logins, before + 1, 'token older than ttl/2 is not reused: a fresh login')
  t.equal(fake.authenticates, auths + 1, 'the renewed token is reused by the next connection')
})

t.test('wrong password fails with one clear error', async t => {
  const fake = await startFakeCluster({ nodes: 1, users: { admin: 'secret' } })
  t.teardown(() => fake.close())
  await t.rejects(Cluster.connect({ hosts: fake.seeds, tendIntervalMs: 0, auth: { user: 'admin', password: 'nope' } }),
    /login as 'admin' failed: 65 INVALID_CREDENTIAL/)
})

t.test('TLS: connects with the CA and TLS name, refuses a wrong name and a blacklisted serial', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'asb-tls-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const key = join(dir, 'key.pem')
  const cert = join(dir, 'cert.pem')
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2',
    '-subj', '/CN=fake', '-addext', 'subjectAltName=DNS:fake', '-set_serial', '0x1234ABCD'], { stdio: 'ignore' })
  const fake = await startFakeCluster({ nodes: 2, tls: { key: readFileSync(key), cert: readFileSync(cert) } })
  seedRecords(fake, 'demo', 50, i => makeRecord('demo', i))
  t.teardown(() => fake.close())
  const cluster = await Cluster.connect({ hosts: fake.seeds, tendIntervalMs: 0, tls: { enable: true, cafile: cert, protocols: 'TLSv1.2 TLSv1.3' } })
  t.equal(cluster.nodes.length, 2, 'peers-tls-std discovered the second node')
  let count = 0
  for await (const _ of createPartitionScan(cluster, { namespace: 'test', set: 'demo' })) count++
  t.equal(count, 50)
  cluster.close()
  const port = fake.nodes[0].port
  await t.rejects(Cluster.connect({ hosts: `127.0.0.1:other:${port}`, tendIntervalMs: 0, tls: { enable: true, cafile: cert } }), /cannot connect/)
  const bl = join(dir, 'blacklist')
  writeFileSync(bl, '1234ABCD\n')
  await t.rejects(Cluster.connect({ hosts: fake.seeds, tendIntervalMs: 0, tls: { enable: true, cafile: cert, certBlacklist: bl } }), /blacklisted/)
  await t.rejects(Cluster.connect({ hosts: fake.seeds, tendIntervalMs: 0, tls: { enable: true } }), /cannot connect/, 'untrusted without the CA')
})

t.test('TLS: --tls-capath with CRLs and --tls-crl-check', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'asb-crl-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const f = (n: string): string => join(dir, n)
  writeFileSync(f('ca.cnf'), [
    '[ ca ]', 'default_ca = d', '[ d ]', `dir = ${dir}`, `database = ${f('index.txt')}`, `new_certs_dir = ${dir}`,
    `certificate = ${f('ca.pem')}`, `private_key = ${f('ca.key')}`, `serial = ${f('serial')}`, `crlnumber = ${f('crlnumber')}`,
    'default_md = sha256', 'default_crl_days = 2', 'policy = p', '[ p ]', 'commonName = supplied', ''
  ].join('\n'))
  writeFileSync(f('index.txt'), '')
  writeFileSync(f('serial'), '1000\n')
  writeFileSync(f('crlnumber'), '1000\n')
  const ssl = (...args: string[]): void => { execFileSync('openssl', args, { stdio: 'ignore' }) }
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '2', '-subj', '/CN=test-ca')
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('s.key'), '-out', f('s.csr'), '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost')
  ssl('x509', '-req', '-in', f('s.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('s.pem'), '-days', '2', '-copy_extensions', 'copy')
  ssl('ca', '-config', f('ca.cnf'), '-gencrl', '-out', f('empty.crl'))
  ssl('ca', '-config', f('ca.cnf'), '-revoke', f('s.pem'))
  ssl('ca', '-config', f('ca.cnf'), '-gencrl', '-out', f('revoked.crl'))
  const good = join(dir, 'good')
  const bad = join(dir, 'bad')
  for (const [d, crl] of [[good, 'empty.crl'], [bad, 'revoked.crl']]) {
    execFileSync('mkdir', [d])
    writeFileSync(join(d, 'ca.pem'), readFileSync(f('ca.pem')))
    writeFileSync(join(d, 'crl.pem'), readFileSync(f(crl)))
  }
  const fake = await startFakeCluster({ nodes: 1, tls: { key: readFileSync(f('s.key')), cert: readFileSync(f('s.pem')) } })
  t.teardown(() => fake.close())
  const hosts = `127.0.0.1:localhost:${fake.nodes[0].port}`
  const ok = await Cluster.connect({ hosts, tendIntervalMs: 0, tls: { enable: true, capath: good, crlCheck: true } })
  t.equal(ok.nodes.length, 1, 'not revoked: connects')
  ok.close()
  await t.rejects(Cluster.connect({ hosts, tendIntervalMs: 0, tls: { enable: true, capath: bad, crlCheck: true } }), /revoked/i)
  const noCrl = await Cluster.connect({ hosts, tendIntervalMs: 0, tls: { enable: true, capath: bad } })
  t.equal(noCrl.nodes.length, 1, 'without --tls-crl-check the CRL is not consulted')
  noCrl.close()
  await t.rejects(Cluster.connect({ hosts, tendIntervalMs: 0, tls: { enable: true, cafile: f('ca.pem'), crlCheck: true } }), /needs CRLs/)
})

t.test('connect and info timeouts against a silent server', async t => {
  const { createServer } = await import('node:net')
  const sockets: Array<import('node:net').Socket> = []
  const silent = createServer(s => { sockets.push(s) })
  await new Promise<void>(resolve => silent.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { for (const s of sockets) s.destroy(); silent.close() })
  const port = (silent.address() as { port: number }).port
  await t.rejects(Cluster.connect({ hosts: `127.0.0.1:x:${port}`, tendIntervalMs: 0, connectTimeoutMs: 200, tls: { enable: true } }),
    /connect to 127.0.0.1:\d+ timed out after 200 ms/, 'TLS handshake never completes')
  await t.rejects(Cluster.connect({ hosts: `127.0.0.1:${port}`, tendIntervalMs: 0, infoTimeoutMs: 200 }),
    /no answer from .* within 200 ms/, 'info request never answered')
})
