/** JSON with object keys sorted at every level and undefined members left out, so equal content serialises equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * A resource's content without what the server assigns (meta.versionId, meta.lastUpdated;
 * an emptied meta disappears): two resources are the same version when these are equal.
 */
export function withoutServerMeta<T extends Record<string, unknown>>(resource: T): Record<string, unknown> {
  const { meta, ...rest } = resource;
  if (meta && typeof meta === 'object') {
    const { versionId: _v, lastUpdated: _l, ...metaRest } = meta as Record<string, unknown>;
    if (Object.keys(metaRest).length) return { ...rest, meta: metaRest };
  }
  return rest;
}
