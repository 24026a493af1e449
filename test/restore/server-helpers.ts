// Helpers for restore tests against the in-repo test server.
import { readFileSync } from 'node:fs'
import { AsbDecoder } from '../../lib/asb/decode.js'
import { encodeKeyField, geoFromParticle, valueToParticle } from '../../lib/proto/particle.js'
import { Particle } from '../../lib/types.js'
import { nameBytes } from '../../lib/name.js'
import type { TestCluster } from '../../lib/server/index.js'
import type { Record, Token } from '../../lib/types.js'
import { restoreTtl, clepochNow } from '../../lib/restore/ttl.js'

/** 2026-11-21T06:00:00Z: after the golden files were made, before most of their void-times. */
export const NOW_MS = Date.UTC(2026, 10, 21, 6, 0, 0)
export const NOW_ARG = '2026-11-21T06:00:00Z'

export function decodeFile (path: string): Token[] {
  const out: Token[] = []
  const d = new AsbDecoder({ file: path })
  const push = (t: Token): void => { out.push(t) }
  d.write(readFileSync(path), push)
  d.end(push)
  return out
}

export function recordsOf (tokens: Token[]): Record[] {
  return tokens.filter((t): t is Record => t.kind === 'record')
}

/**
 * Compares every record of the backup with what the server stores in `ns`:
 * set, stored key, every bin's particle type and bytes, and the void-time the
 * TTL gives (now + ttl). Returns one line per difference.
 */
export function diffRestored (cluster: TestCluster, ns: string, recs: Record[], nowMs = NOW_MS): string[] {
  const diffs: string[] = []
  const now = clepochNow(nowMs)
  for (const r of recs) {
    const id = r.digest.toString('base64')
    const t = restoreTtl(r.voidTime, now)
    const s = cluster.getDigest(ns, r.digest)
    if (t.expired) {
      if (s !== undefined) diffs.push(`${id}: expired but present`)
      continue
    }
    if (s === undefined) { diffs.push(`${id}: missing`); continue }
    const wantSet = r.set === null || nameBytes(r.set).length === 0 ? null : nameBytes(r.set)
    if (!((s.set === null && wantSet === null) || (s.set !== null && wantSet !== null && s.set.equals(wantSet)))) diffs.push(`${id}: set differs`)
    const wantKey = r.key === null ? null : encodeKeyField(r.key)
    if (!((s.key === null && wantKey === null) || (s.key !== null && wantKey !== null && s.key.equals(wantKey)))) diffs.push(`${id}: key differs`)
    if (s.bins.size !== r.bins.length) diffs.push(`${id}: ${s.bins.size} bins, want ${r.bins.length}`)
    for (const b of r.bins) {
      const sb = s.bins.get(nameBytes(b.name).toString('latin1'))
      const p = valueToParticle(b)
      if (sb === undefined) { diffs.push(`${id}: bin ${String(b.name)} missing`); continue }
      if (sb.particle !== p.type) diffs.push(`${id}: bin ${String(b.name)} particle ${sb.particle}, want ${p.type}`)
      // the server stores GeoJSON with its S2 cells: compare the JSON text
      const same = b.type === Particle.GEOJSON ? geoFromParticle(sb.value).equals(b.value) : sb.value.equals(Buffer.from(p.bytes))
      if (!same) diffs.push(`${id}: bin ${String(b.name)} bytes differ`)
    }
    const wantVoid = t.ttl === -1 ? 0 : now + t.ttl
    if (s.voidTime !== wantVoid) diffs.push(`${id}: void-time ${s.voidTime}, want ${wantVoid}`)
  }
  return diffs
}

/** The last NDJSON `summary` event on stderr (--progress json). */
export function summaryOf (stderr: string): { [k: string]: number | boolean | string | null } {
  const lines = stderr.split('\n').filter((l) => l.startsWith('{'))
  for (let i = lines.length - 1; i >= 0; i--) {
    const o = JSON.parse(lines[i]!) as { event?: string }
    if (o.event === 'summary') return o as { [k: string]: number | boolean | string | null }
  }
  throw new Error(`no summary event in:\n${stderr}`)
}
