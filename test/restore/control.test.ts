import t from 'tap'
import {
  parseSindexList, restoreIndex, sameIndex, serverHasBatchWrites, sindexCreateCommand, toServerIndex, ttlForbidden
} from '../../lib/restore/control.js'
import type { InfoClient } from '../../lib/restore/control.js'
import { sindex } from './fixtures.js'

const LIST = 'ns=test:indexname=golden_idx_num:set=golden:bin=n_int:type=numeric:indextype=default:context=null:exp=null:state=RW;' +
  'ns=test:indexname=golden_idx_ctx:set=golden:bin=l_list:type=numeric:indextype=list:context=khAA:exp=null:state=RW;' +
  'ns=test:indexname=noset:set=NULL:bin=s:type=string:indextype=mapkeys:context=null:exp=null:state=RW;'

t.test('sindex-list parsing and comparison (check_index)', async (t) => {
  const l = parseSindexList(LIST)
  t.equal(l.length, 3)
  t.same(l[1], { name: 'golden_idx_ctx', set: 'golden', bin: 'l_list', indexType: 'list', type: 'numeric', context: 'khAA' })
  t.equal(l[2]!.set, null)
  t.ok(sameIndex(l[1]!, toServerIndex(sindex({ set: 'golden', name: 'golden_idx_ctx', indexType: 'L', paths: [{ path: 'l_list', type: 'N' }], context: 'khAA' }))))
  t.notOk(sameIndex(l[1]!, toServerIndex(sindex({ set: 'golden', name: 'golden_idx_ctx', indexType: 'L', paths: [{ path: 'l_list', type: 'N' }], context: null }))), 'ctx differs')
  t.ok(sameIndex(l[2]!, toServerIndex(sindex({ set: '', name: 'noset', indexType: 'K', paths: [{ path: 's', type: 'S' }] }))), 'NULL set equals ""')
  t.equal(sindexCreateCommand('bar', l[1]!), 'sindex-create:namespace=bar;set=golden;indexname=golden_idx_ctx;bin=l_list;type=numeric;indextype=list;context=khAA')
  t.equal(sindexCreateCommand('bar', l[2]!), 'sindex-create:namespace=bar;indexname=noset;bin=s;type=string;indextype=mapkeys')
})

t.test('restoreIndex: matched, replaced (remove, wait until gone, create), created', async (t) => {
  let list = LIST
  const sent: string[] = []
  let polls = 0
  const c: InfoClient = {
    info: async (cmd) => {
      sent.push(cmd)
      if (cmd.startsWith('sindex-list')) {
        if (list !== LIST && polls++ < 2) return LIST // still there for two polls
        return list
      }
      if (cmd.startsWith('sindex-delete')) { list = LIST.split(';').filter((e) => !e.includes('golden_idx_num')).join(';'); return 'ok' }
      return 'ok'
    },
    infoAll: async () => []
  }
  const same = sindex({ set: 'golden', name: 'golden_idx_num', paths: [{ path: 'n_int', type: 'N' }] })
  t.equal(await restoreIndex(c, same), 'matched')
  const diff = sindex({ set: 'golden', name: 'golden_idx_num', paths: [{ path: 'n_int', type: 'S' }] })
  t.equal(await restoreIndex(c, diff, { sleep: async () => {} }), 'replaced')
  t.ok(sent.some((s) => s === 'sindex-delete:namespace=test;indexname=golden_idx_num'))
  t.equal(sent[sent.length - 1], 'sindex-create:namespace=test;set=golden;indexname=golden_idx_num;bin=n_int;type=string')
  t.equal(await restoreIndex(c, sindex({ name: 'fresh' })), 'created')
  const stuck: InfoClient = { info: async (cmd) => cmd.startsWith('sindex-list') ? LIST : 'ok', infoAll: async () => [] }
  await t.rejects(restoreIndex(stuck, diff, { sleep: async () => {}, maxTries: 3 }), /still present/)
  const refuse: InfoClient = { info: async (cmd) => cmd.startsWith('sindex-create') ? 'ERROR:4:bad' : '', infoAll: async () => [] }
  await t.rejects(restoreIndex(refuse, sindex({ name: 'x' })), /Error while creating index x failed: ERROR:4:bad/)
})

t.test('namespace config and batch-write support', async (t) => {
  t.ok(ttlForbidden(new Map([['nsup-period', '0'], ['allow-ttl-without-nsup', 'false']])))
  t.notOk(ttlForbidden(new Map([['nsup-period', '0'], ['allow-ttl-without-nsup', 'true']])))
  t.notOk(ttlForbidden(new Map([['nsup-period', '120'], ['allow-ttl-without-nsup', 'false']])))
  const mk = (build: string, svc: string): InfoClient => ({ info: async () => '', infoAll: async (cmd) => [cmd === 'build' ? build : svc, cmd === 'build' ? build : svc] })
  t.ok(await serverHasBatchWrites(mk('8.1.2.0', 'batch-index-threads=4;x=1')))
  t.notOk(await serverHasBatchWrites(mk('5.7.0.1', 'batch-index-threads=4')), 'server < 6')
  t.notOk(await serverHasBatchWrites(mk('8.1.2.0', 'batch-index-threads=0')), 'no batch threads')
})
