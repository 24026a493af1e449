// InfoClient over the official `aerospike` client (the control plane: index
// create/remove, UDF register, namespace configuration).
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { AsbError, ErrorCode } from '../errors.js'
import type { InfoClient } from './control.js'

export interface OfficialClientOptions {
  /** `host[:tlsname][:port],...` */
  hosts: string
  port: number
  user?: string
  password?: string
  /** INTERNAL | EXTERNAL | EXTERNAL_INSECURE | PKI */
  auth?: string
  tls?: { enable: boolean, cafile?: string, capath?: string, protocols?: string, cipherSuite?: string, keyfile?: string, keyfilePassword?: string, certfile?: string, crlCheck?: boolean, crlCheckAll?: boolean }
  tlsName?: string
  servicesAlternate?: boolean
  timeoutMs: number
}

/** `cmd\tvalue\n` -> value */
export function stripEcho (raw: string): string {
  const tab = raw.indexOf('\t')
  const v = tab >= 0 ? raw.slice(tab + 1) : raw
  return v.replace(/\n$/, '')
}

interface AsClient {
  udfRegister: (path: string, type?: number) => Promise<{ wait: (pollMs?: number) => Promise<void> }>
  infoAny: (cmd: string, policy?: unknown) => Promise<string>
  infoAll: (cmd: string, policy?: unknown) => Promise<Array<{ info: string }>>
  close: (releaseEventLoop?: boolean) => void
}

/** hosts `a:tls:3000,b` -> the official client's host objects. */
function toHosts (hosts: string, port: number): Array<{ addr: string, port: number, tlsname?: string }> {
  return hosts.split(',').filter((h) => h !== '').map((h) => {
    const parts = h.split(':')
    if (parts.length === 1) return { addr: parts[0]!, port }
    if (parts.length === 2) return /^\d+$/.test(parts[1]!) ? { addr: parts[0]!, port: Number(parts[1]) } : { addr: parts[0]!, port, tlsname: parts[1] }
    return { addr: parts[0]!, tlsname: parts[1], port: Number(parts[2]) }
  })
}

export async function connectOfficialInfo (o: OfficialClientOptions): Promise<InfoClient & { close: () => void }> {
  const require = createRequire(import.meta.url)
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const Aerospike = require('aerospike') as { connect: (cfg: unknown) => Promise<AsClient>, auth: { [k: string]: number }, setDefaultLogging?: (cfg: unknown) => void, releaseEventLoop?: () => void }
  // The C client logs seed failures itself before a client's own log config
  // applies; our one-line errors say it, so silence its default logger too.
  Aerospike.setDefaultLogging?.({ level: -1 })
  const cfg: { [k: string]: unknown } = {
    hosts: toHosts(o.hosts, o.port).map((h) => ({ addr: h.addr, port: h.port, ...(h.tlsname ?? o.tlsName ? { tlsname: h.tlsname ?? o.tlsName } : {}) })),
    connTimeoutMs: o.timeoutMs,
    loginTimeoutMs: o.timeoutMs,
    useAlternateAccessAddress: o.servicesAlternate === true,
    policies: { info: { timeout: o.timeoutMs } },
    log: { level: -1 }
  }
  if (o.user !== undefined) {
    cfg.user = o.user
    cfg.password = o.password ?? ''
  }
  if (o.auth !== undefined) cfg.authMode = Aerospike.auth[o.auth === 'EXTERNAL' ? 'EXTERNAL' : o.auth === 'EXTERNAL_INSECURE' ? 'EXTERNAL_INSECURE' : o.auth === 'PKI' ? 'PKI' : 'INTERNAL']
  if (o.tls?.enable === true) {
    cfg.tls = {
      enable: true,
      cafile: o.tls.cafile,
      capath: o.tls.capath,
      protocols: o.tls.protocols,
      cipherSuite: o.tls.cipherSuite,
      keyfile: o.tls.keyfile,
      keyfilePassword: o.tls.keyfilePassword,
      certfile: o.tls.certfile,
      crlCheck: o.tls.crlCheck,
      crlCheckAll: o.tls.crlCheckAll
    }
  }
  let client: AsClient
  try {
    client = await Aerospike.connect(cfg)
  } catch (err) {
    // a failed connect leaves the module's event loop registered: release it
    // or the process never exits
    Aerospike.releaseEventLoop?.()
    throw new AsbError(ErrorCode.CONNECTION, `Error while connecting to ${o.hosts}: ${(err as Error).message}`, { cause: err })
  }
  return {
    async info (cmd: string): Promise<string> {
      return stripEcho(await client.infoAny(cmd))
    },
    async infoAll (cmd: string): Promise<string[]> {
      const all = await client.infoAll(cmd)
      return all.map((r) => stripEcho(r.info))
    },
    async udfPut (name: string, content: Buffer): Promise<void> {
      // aerospike_udf_put takes a file; the module name is its base name
      const dir = await mkdtemp(join(tmpdir(), 'as-restore-udf-'))
      try {
        const path = join(dir, basename(name))
        await writeFile(path, content)
        try {
          await client.udfRegister(path)
        } catch (err) {
          throw new AsbError(ErrorCode.SERVER, `Error while putting UDF file ${name}: ${(err as Error).message}`, { cause: err })
        }
      } finally {
        await rm(dir, { recursive: true, force: true })
      }
    },
    close (): void { client.close(false) }
  }
}
