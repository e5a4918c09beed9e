import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';

/**
 * The import graph of a source tree, from each file's import/export declarations (and `import()`
 * calls), as the TypeScript compiler's pre-processor reads them. Type-only imports count: a cycle of
 * types is still two modules that cannot be understood, moved or tested one without the other.
 */
export interface ImportGraph {
  /** Repo-relative path of every file → the repo-relative paths of the files it imports (relative imports only). */
  readonly edges: ReadonlyMap<string, readonly string[]>;
  /** Repo-relative path of every file → every module specifier it names, resolved or not. */
  readonly specifiers: ReadonlyMap<string, readonly string[]>;
}

export function listTsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listTsFiles(full));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(full);
  }
  return out.sort();
}

function resolveRelative(fromFile: string, spec: string): string | undefined {
  const base = path.resolve(path.dirname(fromFile), spec);
  for (const candidate of [base, `${base}.ts`, path.join(base, 'index.ts')]) {
    if (candidate.endsWith('.ts') && fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

export function readImportGraph(root: string, dir: string): ImportGraph {
  const edges = new Map<string, string[]>();
  const specifiers = new Map<string, string[]>();
  for (const file of listTsFiles(path.join(root, dir))) {
    const info = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
    const specs = info.importedFiles.map((f) => f.fileName);
    const rel = path.relative(root, file);
    specifiers.set(rel, specs);
    const targets = new Set<string>();
    for (const spec of specs) {
      if (!spec.startsWith('.')) continue;
      const resolved = resolveRelative(file, spec);
      if (resolved !== undefined) targets.add(path.relative(root, resolved));
    }
    edges.set(rel, [...targets].sort());
  }
  return { edges, specifiers };
}

/** The strongly connected components with more than one node (or a node importing itself): Tarjan's algorithm. */
export function cycles(edges: ReadonlyMap<string, readonly string[]>): string[][] {
  let index = 0;
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (v: string): void => {
    indexOf.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!indexOf.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) ?? 0, indexOf.get(w) ?? 0));
      }
    }
    if (low.get(v) === indexOf.get(v)) {
      const component: string[] = [];
      let w: string | undefined;
      do {
        w = stack.pop();
        if (w === undefined) break;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (edges.get(v) ?? []).includes(v)) found.push(component.sort());
    }
  };
  for (const v of [...edges.keys()].sort()) if (!indexOf.has(v)) visit(v);
  return found.sort((a, b) => (a[0] ?? '').localeCompare(b[0] ?? ''));
}

/** One shortest cycle through `start` inside `component`, as `a → b → … → a`, so a failure shows a path to cut. */
export function cyclePath(edges: ReadonlyMap<string, readonly string[]>, component: readonly string[], start: string): string[] {
  const inside = new Set(component);
  const prev = new Map<string, string>();
  const queue = [start];
  const seen = new Set([start]);
  while (queue.length > 0) {
    const v = queue.shift();
    if (v === undefined) break;
    for (const w of edges.get(v) ?? []) {
      if (!inside.has(w)) continue;
      if (w === start) {
        const pathBack = [v];
        let p = prev.get(v);
        while (p !== undefined) {
          pathBack.push(p);
          p = prev.get(p);
        }
        return [...pathBack.reverse(), start];
      }
      if (seen.has(w)) continue;
      seen.add(w);
      prev.set(w, v);
      queue.push(w);
    }
  }
  return [start];
}

/** The graph between the directories directly under `dir` (files at its top level form a node named by the file). */
export function directoryGraph(edges: ReadonlyMap<string, readonly string[]>, dir: string): Map<string, string[]> {
  const nodeOf = (file: string): string => {
    const rest = path.relative(dir, file).split(path.sep);
    return rest.length > 1 ? (rest[0] ?? file) : file;
  };
  const out = new Map<string, Set<string>>();
  for (const [from, targets] of edges) {
    const a = nodeOf(from);
    const set = out.get(a) ?? new Set<string>();
    out.set(a, set);
    for (const to of targets) {
      if (!to.startsWith(dir + path.sep)) continue;
      const b = nodeOf(to);
      if (b !== a) set.add(b);
    }
  }
  return new Map([...out].map(([k, v]) => [k, [...v].sort()]));
}
