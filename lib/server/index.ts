// In-repo Aerospike protocol test server: behaves like a CE 8.1.2.0 cluster
// on loopback, as far as the captures in ../shared/fixtures/wire and
// wire-protocol.md show, so the client code (lib/client) and the official
// `aerospike` client can be tested without a real server.
//
//   import { startTestCluster } from '../lib/server/index.js'
//   const cluster = await startTestCluster({
//     nodes: 3,                                   // default 1; ports are ephemeral unless `port` is set
//     namespaces: { test: { 'nsup-period': 0, 'allow-ttl-without-nsup': false }, bar: {} },
//     security: { users: { admin: 'secret' }, sessionTtlSeconds: 600 },   // optional
//     tls: { key, cert, ca, requestCert, name },   // optional: every node listens with TLS only
//     now: () => fakeMs,                          // optional clock (or cluster.advanceTime(s))
//   })
//   cluster.seeds                    // '127.0.0.1:40123,127.0.0.1:40125,...' (live nodes)
//   cluster.nodes[i].port / .id / .stats / .stop() / .start()
//   cluster.put('test', 'set', 'key', { i: 1n, s: 'x', d: 2.5, b: Buffer.from('..') }, { ttl: 60 })
//   cluster.putDigest(ns, set, digest, bins, { key, voidTime, lutMs, generation })
//   cluster.get('test', 'set', 'key') / getDigest(ns, digest) / count(ns, set?) / records(ns, set?)
//   cluster.advanceTime(seconds)    // expiry, last-update filters, session expiry
//   cluster.setNamespaceConfig('test', 'stop-writes', true)   // or info set-config:context=namespace;id=test;k=v
//   cluster.faults.dropConnectionAfter(records, { node, times })
//   cluster.faults.dropRequests(times, { node, kind: 'msg' | 'info' | 'any' })  // close instead of answering
//   cluster.faults.delay(ms, { node })
//   cluster.faults.markUnavailable('test', [pids], { node })   // scans: PARTITION_DONE markers result 11
//   cluster.faults.failKey(digest, resultCode, { times })
//   cluster.faults.reset()
//   cluster.expireSessions()
//   await cluster.close()
//
// What the nodes do (details in the source files):
// - partitions: master of partition p = live[p % n], replica r = live[(p + r) % n];
//   `replicas` answers the regime-aware bitmaps, `peers-clear-std` lists the other
//   nodes; stopping or starting a node rebalances and bumps partition-generation.
//   All nodes share one data set (no migration to model); a node only scans the
//   partitions it masters and answers PARTITION_DONE result 11 for the others,
//   as 8.x does for partitions it cannot reserve. Single-record commands are
//   served by any node (the real server proxies) and counted in stats.nonMaster.
// - info: node, build, features, partition/peers/rebalance-generation, peers-*,
//   replicas(:max), namespaces, namespace/<ns> (the captured server's keys and
//   config, incl. stop-writes/eviction keys), get-config / set-config (namespace),
//   sets/<ns>[/<set>], sindex-list (b64), sindex/<ns>/<idx>, sindex-create/delete,
//   udf-list/get/put/remove, truncate (lut), user-agent-set, summary on an empty
//   request, ERROR:4 for unknown commands, EE-only commands -> ERROR:25.
// - records: generation, void-time (expired records vanish on read and scan),
//   set, stored key, last-update time; TTL semantics (0 default-ttl, -1 never,
//   -2 keep, > 10 years -> 4, TTL with nsup off -> 22 unless
//   allow-ttl-without-nsup); exists and generation policies; deletes; READ,
//   WRITE (NULL deletes a bin), INCR, APPEND, PREPEND, TOUCH, DELETE_ALL ops
//   (CDT/bit/HLL/expression ops answer 16); `stop-writes: true` in a
//   namespace config makes writes fail with 8.
// - scans/queries: PARTITION_DONE bit required (else 16, no LAST), duplicate
//   pid / reused TRID -> 4 (no LAST), descending digest order per partition,
//   exclusive resume after a digest, SAMPLE_MAX, RECS_PER_SEC, bin selection,
//   nobins, filter expressions (last_update, since_update, void_time, ttl,
//   set_name, key, key_exists, digest_modulo, bin comparisons, regex, and/or/not),
//   numeric/equality INDEX_RANGE queries with BVAL_ARRAY (needs a created index),
//   background write "queries" without a digest; streamed with backpressure.
// - batch index requests (reads, writes, deletes, per-row results, REPEAT rows).
// - security (optional): LOGIN with the bcrypt credential, session token + TTL,
//   AUTHENTICATE per connection (66 after expiry); without it every admin
//   message gets 51 like CE. TLS (optional) via node:tls.
// - GeoJSON: a Point is stored with its S2 leaf cell like the server does
//   (other shapes keep ncells 0); text that is not GeoJSON -> 160.
// Not modelled: UDF execution, CDT/HLL/bit operations, S2 coverings of
// regions,
// compression (CE: 25), replication.
export {
  TestCluster, TestNode, Faults, startTestCluster, toKey,
  type TestClusterOptions, type TlsServerOptions, type SecurityOptions, type PutValue, type PutOptions, type NodeStats
} from './cluster.js'
export type { StoredRecord, StoredBin, NamespaceConfig } from './store.js'
