// The Aerospike wire-protocol codec, shared by the client (lib/client) and
// the test server (lib/server). Pure byte functions, no I/O.
export * from './header.js'
export * from './info.js'
export * from './message.js'
export * from './particle.js'
export * from './digest.js'
export * from './admin.js'
export * from './batch.js'
export * from './result-codes.js'
