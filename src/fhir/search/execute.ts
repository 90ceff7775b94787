import type { Queryable } from '../../db/db.js';
import type { Scope } from '../scope.js';
import { countSql, pageSql, type PageRow } from './compile/select.js';
import { encodeCursor } from './cursor.js';
import { needsSubset, subset } from './elements.js';
import { resolveIncludes } from './include.js';
import { searchUrl } from './links.js';
import type { SearchQuery } from './query.js';
import type { SearchRegistry } from './types.js';

export interface SearchEntry {
  type: string;
  id: string;
  /** The resource JSON text: as stored, or cut down for _summary/_elements. */
  json: string;
  mode: 'match' | 'include';
}

export interface BundleLink {
  relation: 'self' | 'next';
  url: string;
}

/** What a searchset Bundle needs (see bundleJson). */
export interface SearchResult {
  resourceType: string;
  baseUrl: string;
  entries: SearchEntry[];
  /** Bundle.total, when asked for (_total=accurate|estimate, _summary=count) or known for free. */
  total?: number;
  links: BundleLink[];
  /** Ignored parameters; bundleJson reports them in an OperationOutcome entry (mode outcome). */
  warnings: string[];
}

export interface ExecuteOptions {
  /** Absolute FHIR base URL (`https://host/fhir`) for links and fullUrls. */
  baseUrl: string;
}

/**
 * Runs a parsed search for `scope` (https://hl7.org/fhir/R4/search.html): one page of
 * matches in keyset order, their includes, the total when asked or free, and absolute
 * self/next links. The scope comes from the request's principal on every page; the
 * cursor in a next link carries only a position.
 */
export async function executeSearch(
  db: Queryable,
  _registry: SearchRegistry,
  query: SearchQuery,
  scope: Scope,
  options: ExecuteOptions,
): Promise<SearchResult> {
  const self = searchUrl(options.baseUrl, query.resourceType, query.params, query.cursor && encodeCursor(query.cursor));
  const result: SearchResult = {
    resourceType: query.resourceType, baseUrl: options.baseUrl, entries: [], links: [{ relation: 'self', url: self }], warnings: query.warnings,
  };
  // _summary=count, and _count=0, return the total only (https://hl7.org/fhir/R4/search.html#count).
  if (query.summary === 'count' || query.count === 0) {
    if (query.total !== 'none' || query.summary === 'count') result.total = await count(db, query, scope);
    return result;
  }
  const stmt = pageSql(query, scope, query.count + 1, db.dialect);
  const rows = await db.all<PageRow>(stmt.sql, stmt.params);
  const hasMore = rows.length > query.count;
  const page = hasMore ? rows.slice(0, query.count) : rows;

  if (query.total !== 'none') {
    // On a first page that holds every match the total costs nothing; otherwise count only on request.
    if (!query.cursor && !hasMore) result.total = page.length;
    else if (query.total === 'accurate' || query.total === 'estimate') result.total = await count(db, query, scope);
  }
  if (hasMore) {
    const last = page[page.length - 1];
    const cursor = encodeCursor({ values: query.sort.map((_, i) => last[`k${i}`]), seq: last.seq });
    result.links.push({ relation: 'next', url: searchUrl(options.baseUrl, query.resourceType, query.params, cursor) });
  }

  const cut = needsSubset(query.summary, query.elements);
  for (const row of page) {
    result.entries.push({ type: row.type, id: row.id, json: cut ? subset(row.content, row.type, query.summary, query.elements) : row.content, mode: 'match' });
  }
  const summaryCut = cut && query.summary !== undefined && query.summary !== 'false';
  for (const row of await resolveIncludes(db, query, scope, page)) {
    // _elements applies to the matches; _summary to every resource returned.
    result.entries.push({ type: row.type, id: row.id, json: summaryCut ? subset(row.content, row.type, query.summary, undefined) : row.content, mode: 'include' });
  }
  return result;
}

async function count(db: Queryable, query: SearchQuery, scope: Scope): Promise<number> {
  const stmt = countSql(query, scope, db.dialect);
  const row = await db.get<{ n: number | string }>(stmt.sql, stmt.params);
  return Number(row?.n ?? 0);
}
