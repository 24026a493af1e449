import t from 'tap'
import { writePolicy } from '../../lib/restore/policy.js'
import { categorize, retryDelayMs, IGNORABLE_CODES } from '../../lib/restore/retry.js'
import { clepochNow, restoreTtl, TTL_NEVER } from '../../lib/restore/ttl.js'
import { CITRUSLEAF_EPOCH } from '../../lib/types.js'

t.test('write policy table (asb-format.md §9.3)', async (t) => {
  const rows = [
    { name: 'none', flags: { unique: false, replace: false, noGeneration: false }, want: { exists: 'ignore', gen: 'gt' } },
    { name: '--no-generation', flags: { unique: false, replace: false, noGeneration: true }, want: { exists: 'ignore', gen: 'ignore' } },
    { name: '--replace', flags: { unique: false, replace: true, noGeneration: false }, want: { exists: 'create-or-replace', gen: 'gt' } },
    { name: '--replace --no-generation', flags: { unique: false, replace: true, noGeneration: true }, want: { exists: 'create-or-replace', gen: 'ignore' } },
    { name: '--unique', flags: { unique: true, replace: false, noGeneration: false }, want: { exists: 'create', gen: 'gt' } }
  ]
  for (const r of rows) t.same(writePolicy(r.flags), r.want, r.name)
})

t.test('TTL on restore (asb-format.md §2)', async (t) => {
  // 2026-11-21T05:00:00Z
  const nowMs = Date.UTC(2026, 10, 21, 5, 0, 0)
  const now = clepochNow(nowMs)
  t.equal(now, nowMs / 1000 - CITRUSLEAF_EPOCH)
  const rows = [
    { name: 'never expires', voidTime: 0, extra: 0, want: { expired: false, ttl: TTL_NEVER } },
    { name: 'never expires ignores --extra-ttl', voidTime: 0, extra: 500, want: { expired: false, ttl: TTL_NEVER } },
    { name: '1000 s left', voidTime: now + 1000, extra: 0, want: { expired: false, ttl: 1000 } },
    { name: '1 s left', voidTime: now + 1, extra: 0, want: { expired: false, ttl: 1 } },
    { name: 'expires right now', voidTime: now, extra: 0, want: { expired: true } },
    { name: 'expired an hour ago', voidTime: now - 3600, extra: 0, want: { expired: true } },
    { name: 'expired but revived by --extra-ttl', voidTime: now - 3600, extra: 7200, want: { expired: false, ttl: 3600 } },
    { name: '--extra-ttl exactly reaching now is still expired', voidTime: now - 100, extra: 100, want: { expired: true } },
    { name: '--extra-ttl added to a live record', voidTime: now + 1000, extra: 86400, want: { expired: false, ttl: 87400 } }
  ]
  for (const r of rows) t.same(restoreTtl(r.voidTime, now, r.extra), r.want, r.name)
})

t.test('result categories (asb-format.md §9.5)', async (t) => {
  t.equal(categorize(0), 'inserted')
  t.equal(categorize(5), 'existed')
  t.equal(categorize(3), 'fresher')
  for (const c of [13, 19, 21, 10, 22, 12, 17]) {
    t.ok(IGNORABLE_CODES.has(c), `${c} ignorable`)
    t.equal(categorize(c), 'ignorable')
  }
  for (const c of [4, 8, 16, 20, 25, 26, 27, 160, 202, 150, 80, 81]) t.equal(categorize(c), 'fatal', `${c} fatal`)
  for (const c of [9, 11, 14, 18, 1, 2]) t.equal(categorize(c), 'retry', `${c} retried`)
})

t.test('retry schedule: immediate, then 2^(k-2) × scale', async (t) => {
  t.same([1, 2, 3, 4, 5].map((k) => retryDelayMs(k, 150000)), [0, 150, 300, 600, 1200])
  t.same([1, 2, 3].map((k) => retryDelayMs(k, 1000)), [0, 1, 2])
})
