import t from 'tap'
import { parseHosts, parsePeers } from '../../lib/client/hosts.js'
import { buildPartitionMap, parseReplicas } from '../../lib/client/partition-map.js'
import { parseTlsProtocols, resolveSecret } from '../../lib/client/tls.js'

t.test('parses seeds with TLS names, ports and IPv6', async t => {
  t.same(parseHosts('a,b:4000,c:tls1:4333,[::1]:3100,[fe80::1]:n:5'), [
    { host: 'a', port: 3000 },
    { host: 'b', port: 4000 },
    { host: 'c', port: 4333, tlsName: 'tls1' },
    { host: '::1', port: 3100 },
    { host: 'fe80::1', port: 5, tlsName: 'n' }
  ])
  t.same(parseHosts('h:name', 4333), [{ host: 'h', port: 4333, tlsName: 'name' }])
  t.throws(() => parseHosts(''), /no seed/)
  t.throws(() => parseHosts('h:99999'), /bad port/)
  t.throws(() => parseHosts('[::1'), /missing/)
})

t.test('parses the peers list of a real 8.1 server and a multi-node one', async t => {
  t.same(parsePeers('0,3000,[]'), { generation: 0, peers: [] })
  const p = parsePeers('5,3000,[[BB9020011AC4202,,[172.17.0.3]],[BB9030011AC4202,tls2,[[2001:db8::1]:4333,10.0.0.2]]]')
  t.equal(p.generation, 5)
  t.same(p.peers[0], { nodeName: 'BB9020011AC4202', tlsName: undefined, addresses: [{ host: '172.17.0.3', port: 3000 }] })
  t.same(p.peers[1].addresses, [{ host: '2001:db8::1', port: 4333, tlsName: 'tls2' }, { host: '10.0.0.2', port: 3000, tlsName: 'tls2' }])
  t.throws(() => parsePeers('1,3000,[[A,,[x]]'))
})

t.test('partition map keeps the newest regime per partition', async t => {
  const all = Buffer.alloc(512, 0xff).toString('base64')
  const first = Buffer.alloc(512); first[0] = 0x80 // partition 0 only
  const e1 = parseReplicas(`test:1,1,${all};bar:0,1,${all}`)
  const e2 = parseReplicas(`test:2,1,${first.toString('base64')}`)
  const map = buildPartitionMap([{ node: 'A', entries: e1 }, { node: 'B', entries: e2 }])
  t.equal(map.get('test')!.replicas[0][0], 'B')
  t.equal(map.get('test')!.replicas[0][1], 'A')
  t.equal(map.get('bar')!.replicas[0][4095], 'A')
  const older = buildPartitionMap([{ node: 'B', entries: e2 }, { node: 'A', entries: e1 }])
  t.equal(older.get('test')!.replicas[0][0], 'B', 'an older regime never overrides')
  t.throws(() => parseReplicas('test:0,2,' + all), /bitmaps/)
})

t.test('TLS protocol lists and secrets', async t => {
  t.same(parseTlsProtocols('TLSv1.2'), { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' })
  t.same(parseTlsProtocols('-all +TLSv1.2 +TLSv1.3'), { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' })
  t.throws(() => parseTlsProtocols('TLSv1 TLSv1.3'), /contiguous/)
  t.throws(() => parseTlsProtocols('SSLv3'), /unknown/)
  t.equal(resolveSecret('env:PW', { PW: 'x' }), 'x')
  t.equal(resolveSecret('plain', {}), 'plain')
  t.throws(() => resolveSecret('env:NOPE', {}), /not set/)
})
