import t from 'tap'
import { createHash } from 'node:crypto'
import {
  betterAtoi, parseAfterDigest, parseAuthMode, parseBinList, parseDateTime, parseDigest, parseFilterExp,
  parseIntOption, parseNodeList, parsePartitionList, parseRackList, parseSetList, INT_OPTIONS
} from '../../lib/scan/parse.js'
import { UsageError } from '../../lib/errors.js'

function msg (fn: () => unknown): string {
  try { fn() } catch (err) {
    if (err instanceof UsageError) return err.message
    throw err
  }
  return 'no error'
}

/** A digest of partition `pid` (first two bytes LE mod 4096). */
function digestOf (pid: number, fill = 0x11): Buffer {
  const d = Buffer.alloc(20, fill)
  d[0] = pid & 0xff
  d[1] = (pid >> 8) & 0x0f
  return d
}

t.test('better_atoi accepts what strtol base 10 accepts over the whole string', async t => {
  const cases: Array<[string, number | null]> = [
    ['0', 0], ['42', 42], ['+7', 7], ['-3', -3], [' 5', 5], ['', null], ['5 ', null], ['1e3', null], ['0x10', null], ['abc', null], ['12a', null]
  ]
  for (const [s, want] of cases) t.equal(betterAtoi(s), want, JSON.stringify(s))
})

t.test('integer options use asbackup messages and ranges', async t => {
  const cases: Array<[string, string, number | string]> = [
    ['parallel', '0', 'Invalid parallelism value 0'],
    ['parallel', '101', 'Invalid parallelism value 101'],
    ['parallel', '100', 100],
    ['port', '65536', 'Invalid port value 65536'],
    ['port', '0', 'Invalid port value 0'],
    ['records-per-second', '-1', 'Invalid records-per-second value -1'],
    ['records-per-second', '0', 0],
    ['max-records', 'x', 'Invalid max-records value x'],
    ['nice', '0', 'Invalid bandwidth value 0'],
    ['nice', '1', 1],
    ['socket-timeout', '4294967296', 'Invalid socket timeout value 4294967296'],
    ['total-timeout', '-5', 'Invalid total timeout value -5'],
    ['max-retries', 'many', 'Invalid max retries value many'],
    ['sleep-between-retries', '1.5', 'Invalid retry delay value 1.5']
  ]
  for (const [opt, v, want] of cases) {
    const spec = INT_OPTIONS[opt]
    if (typeof want === 'number') t.equal(parseIntOption(v, spec.what, spec.min, spec.max), want, `${opt} ${v}`)
    else t.equal(msg(() => parseIntOption(v, spec.what, spec.min, spec.max)), want, `${opt} ${v}`)
  }
})

t.test('set lists: commas, quotes, length limit', async t => {
  t.same(parseSetList('a'), ['a'])
  t.same(parseSetList('a,b,c'), ['a', 'b', 'c'])
  t.same(parseSetList("'a,b',c"), ['a,b', 'c'])
  t.same(parseSetList('"x y",\'z\''), ['x y', 'z'])
  t.same(parseSetList('a,,b'), ['a', '', 'b'])
  t.equal(msg(() => parseSetList("'abc")), "Missing terminating ' in set name")
  t.equal(msg(() => parseSetList('"abc')), 'Missing terminating " in set name')
  t.equal(msg(() => parseSetList("'a'b")), "Require ',' to delineate set names")
  t.equal(msg(() => parseSetList('x'.repeat(64))), 'Set name must be no longer than 63 characters')
  t.same(parseSetList('x'.repeat(63)), ['x'.repeat(63)])
})

t.test('bin lists are split on commas and trimmed', async t => {
  t.same(parseBinList('a, b ,c'), ['a', 'b', 'c'])
})

t.test('dates: asbackup forms in local time', async t => {
  const now = new Date(2026, 10, 21, 15, 30, 0)
  const ns = (d: Date): bigint => BigInt(d.getTime()) * 1_000_000n
  t.equal(parseDateTime('2026-01-02_03:04:05', now), ns(new Date(2026, 0, 2, 3, 4, 5)))
  t.equal(parseDateTime('2026-01-02', now), ns(new Date(2026, 0, 2, 0, 0, 0)))
  t.equal(parseDateTime('03:04:05', now), ns(new Date(2026, 10, 21, 3, 4, 5)))
  t.equal(parseDateTime('2026-13-01', now), ns(new Date(2027, 0, 1)), 'out-of-range fields normalise like mktime')
  for (const bad of ['2026-01-02 03:04:05', '2026/01/02', '1899-01-01', '3:4:5', '2026-01-02T03:04:05', 'yesterday', '']) {
    t.equal(msg(() => parseDateTime(bad, now)), `Invalid date and time string ${bad}`, bad)
  }
})

t.test('partition lists: ranges, counts, digests, sorting, overlaps', async t => {
  t.same(parsePartitionList('0-1000,1000-1000,2222'), [{ begin: 0, count: 1000 }, { begin: 1000, count: 1000 }, { begin: 2222, count: 1 }])
  t.same(parsePartitionList(' 5 , 1-2 '), [{ begin: 1, count: 2 }, { begin: 5, count: 1 }], 'trimmed and sorted')
  t.same(parsePartitionList('4095'), [{ begin: 4095, count: 1 }])
  t.same(parsePartitionList('0-4096'), [{ begin: 0, count: 4096 }])
  const d = digestOf(300)
  const b64 = d.toString('base64')
  t.same(parsePartitionList(`${b64},0-10`), [{ begin: 0, count: 10 }, { begin: 300, count: 1, digest: d }], 'digest item sorts by its own partition')
  t.equal(msg(() => parsePartitionList('')), 'Empty partition list')
  t.equal(msg(() => parsePartitionList('0-10,5')), "Range overlap in partition list '0-10,5'")
  t.equal(msg(() => parsePartitionList(`300,${b64}`)), `Range overlap in partition list '300,${b64}'`)
  for (const bad of ['4096', '-1', '0-4097', '4000-97', 'x', '1-', 'AAAA', Buffer.alloc(19).toString('base64')]) {
    t.match(msg(() => parsePartitionList(bad)), new RegExp(`^Invalid partition filter '${bad.replace(/[+/]/g, '.')}'`), bad)
  }
})

t.test('after-digest: its partition after the digest, then the rest', async t => {
  const d = digestOf(7)
  t.same(parseAfterDigest(d.toString('base64')), [{ begin: 7, count: 1, digest: d }, { begin: 8, count: 4088 }])
  const last = digestOf(4095)
  t.same(parseAfterDigest(last.toString('base64')), [{ begin: 4095, count: 1, digest: last }])
  t.equal(msg(() => parseAfterDigest('nope')), "Error while parsing after-digest 'nope'")
  // a real digest: RIPEMD-160 of set "s", string key "k"
  const real = createHash('ripemd160').update('s').update(Buffer.from([3])).update('k').digest()
  t.equal(parseDigest(real.toString('base64'))?.begin, (real[0] | (real[1] << 8)) & 0xfff)
})

t.test('node lists: v4, v6, tls names, separators, messages', async t => {
  t.same(parseNodeList('10.0.0.1:3000'), [{ address: '10.0.0.1', port: 3000, family: 4 }])
  t.same(parseNodeList('10.0.0.1:3000;10.0.0.2:tls1:4333'), [
    { address: '10.0.0.1', port: 3000, family: 4 },
    { address: '10.0.0.2', port: 4333, family: 4, tlsName: 'tls1' }
  ])
  t.same(parseNodeList('[::1]:3000,[fe80::1]:t:3001'), [
    { address: '::1', port: 3000, family: 6 },
    { address: 'fe80::1', port: 3001, family: 6, tlsName: 't' }
  ])
  t.equal(msg(() => parseNodeList('')), 'Empty node list')
  t.equal(msg(() => parseNodeList('10.0.0.1')), 'Invalid node list 10.0.0.1 (missing ":")')
  t.equal(msg(() => parseNodeList('[::1:3000')), 'Invalid node list [::1:3000 (missing "]")')
  t.equal(msg(() => parseNodeList('[::1]3000')), 'Invalid node list [::1]3000 (missing ":")')
  t.equal(msg(() => parseNodeList(':3000')), 'Invalid node list :3000 (invalid IP address)')
  t.equal(msg(() => parseNodeList('host.example:3000')), 'Invalid node list host.example:3000 (invalid IP address host.example)')
  t.equal(msg(() => parseNodeList('10.0.0.1:0')), 'Invalid node list 10.0.0.1:0 (invalid port value 0)')
  t.equal(msg(() => parseNodeList('10.0.0.1:a:b')), 'Invalid node list 10.0.0.1:a:b (invalid port value b)')
})

t.test('rack ids, filter expressions, auth modes', async t => {
  t.same(parseRackList('1, 2,0'), [1, 2, 0])
  t.equal(msg(() => parseRackList('1000001')), 'Invalid rack id 1000001')
  t.same(parseFilterExp('kwORRg=='), Buffer.from([0x93, 0x03, 0x91, 0x46]))
  t.equal(msg(() => parseFilterExp('***')), 'Invalide base64 encoded string: ***')
  t.equal(parseAuthMode('external_insecure'), 'EXTERNAL_INSECURE')
  t.equal(msg(() => parseAuthMode('LDAP')), 'Invalid authentication mode LDAP. Allowed values are INTERNAL / EXTERNAL / EXTERNAL_INSECURE / PKI')
})
