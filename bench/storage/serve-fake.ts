// Child process for s3.bench.ts: the in-memory fake S3 from test/storage on
// 127.0.0.1:0. Prints the port, serves until stdin closes.
import { startFakeS3 } from '../../test/storage/fake-s3.js'

const server = await startFakeS3(['bench'])
process.stdout.write(`${server.port}\n`)
process.stdin.resume()
process.stdin.on('end', () => { void server.close().finally(() => process.exit(0)) })
