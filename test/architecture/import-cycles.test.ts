// The layout promises parts with narrow interfaces and no import cycles (docs/architecture.md).
// esbuild resolves the server's import graph exactly as the build does; any strongly
// connected component of more than one module is a cycle.
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

async function importGraph(entry: string): Promise<Map<string, string[]>> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    outfile: 'out.js',
    logLevel: 'silent',
  });
  const graph = new Map<string, string[]>();
  for (const [file, input] of Object.entries(result.metafile.inputs)) {
    graph.set(file, input.imports.filter((i) => !i.external).map((i) => i.path));
  }
  return graph;
}

/** Tarjan's strongly connected components, keeping those with more than one module. */
function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

describe('module layout', () => {
  it('the server has no import cycles', async () => {
    const graph = await importGraph('src/main.ts');
    expect(graph.size).toBeGreaterThan(100); // the whole server was resolved, every module of it
    expect(cycles(graph)).toEqual([]);
  });
});
