import t from 'tap'
import { RecordFilter } from '../../lib/restore/filter.js'
import { rec, sindex, intBin, strBin } from './fixtures.js'

t.test('namespace remap', async (t) => {
  const f = new RecordFilter({ namespace: { src: 'test', dst: 'bar' }, sets: null, bins: null })
  t.equal(f.record(rec())!.namespace, 'bar', 'record remapped')
  t.equal(f.sindex(sindex())!.namespace, 'bar', 'index remapped')
  t.equal(f.header({ kind: 'header', version: '3.1', namespace: 'test', firstFile: true }).namespace, 'bar', 'header remapped')
  t.throws(() => f.record(rec({ namespace: 'other' })), /Invalid namespace other in backup record, expected: test/)
  t.throws(() => f.sindex(sindex({ namespace: 'other' })), /Invalid namespace other in index line/)
  t.throws(() => f.header({ kind: 'header', version: '3.1', namespace: 'other', firstFile: true }), /Invalid namespace other/)
})

t.test('-n with one item checks without remapping', async (t) => {
  const f = new RecordFilter({ namespace: { src: 'test', dst: 'test' }, sets: null, bins: null })
  const r = rec()
  t.equal(f.record(r), r, 'same object, no copy')
  t.throws(() => f.record(rec({ namespace: 'bar' })))
})

t.test('no -n: any namespace passes unchanged', async (t) => {
  const f = new RecordFilter({ namespace: null, sets: null, bins: null })
  t.equal(f.record(rec({ namespace: 'x' }))!.namespace, 'x')
})

t.test('set filter', async (t) => {
  const f = new RecordFilter({ namespace: null, sets: ['demo', ''], bins: null })
  const rows = [
    { name: 'listed set kept', r: rec({ set: 'demo' }), keep: true },
    { name: 'unlisted set skipped', r: rec({ set: 'other' }), keep: false },
    { name: 'no set matches ""', r: rec({ set: null }), keep: true },
    { name: 'set given as bytes', r: rec({ set: Buffer.from('demo') }), keep: true }
  ]
  for (const row of rows) t.equal(f.record(row.r) !== null, row.keep, row.name)
  t.equal(f.sindex(sindex({ set: 'other' })), null, 'index with unwanted set skipped')
  t.not(f.sindex(sindex({ set: 'demo' })), null, 'index with wanted set kept')
})

t.test('bin filter and zero-bin records', async (t) => {
  const f = new RecordFilter({ namespace: null, sets: null, bins: ['a', 'c'] })
  const out = f.record(rec({ bins: [intBin('a', 1), strBin('b', 'x'), intBin('c', 3)] }))!
  t.same(out.bins.map((b) => b.name), ['a', 'c'])
  t.equal(f.record(rec({ bins: [strBin('b', 'x')] })), null, 'no bins left -> skipped')
  const all = new RecordFilter({ namespace: null, sets: null, bins: null })
  t.equal(all.record(rec({ bins: [] })), null, 'zero-bin record skipped')
})
