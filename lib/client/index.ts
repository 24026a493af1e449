// Client side of the Aerospike wire protocol: cluster discovery and the
// partition map, partition scans, record writes. The official `aerospike`
// client stays the control plane (indexes, UDFs, namespace config); use
// cluster.info()/infoAll() for plain info commands.
export { Cluster, type ClusterOptions } from './cluster.js'
export { ClusterNode, type NodeOptions } from './node.js'
export { Connection, type ConnectOptions } from './connection.js'
export { Authenticator, type AuthOptions, type AuthMode, type Session } from './auth.js'
export { parseHosts, parsePeers, type HostAddress, type PeerEntry, type PeersInfo } from './hosts.js'
export { buildPartitionMap, parseReplicas, N_PARTITIONS, type NamespaceReplicas, type ReplicasEntry } from './partition-map.js'
export { buildTlsConnectOptions, parseTlsProtocols, resolveSecret, type TlsOptions } from './tls.js'
export {
  PartitionScan, createPartitionScan, encodeScanRequest,
  type ScanOptions, type ScanPartition, type PartitionProgress, type RetryEvent
} from './scan.js'
export {
  Writer, createWriter, ClientResult,
  type WriterOptions, type WriteResult, type BatchWriteItem, type DeleteTarget, type ExistsPolicy, type GenerationPolicy
} from './writer.js'
