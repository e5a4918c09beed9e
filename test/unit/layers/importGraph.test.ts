import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { cyclePath, cycles, directoryGraph, readImportGraph } from './importGraph';

/**
 * The layers of src/core, lowest first. A file may import files of its own directory and of any
 * directory with a lower rank, never of one with the same or a higher rank; files directly in
 * src/core (breakwater.ts) sit on top. docs/ARCHITECTURE.md shows the same order. Type-only imports
 * count like any other: a cycle of types is still two modules that cannot be changed one without the other.
 */
const LAYERS: Readonly<Record<string, number>> = {
  common: 0,
  store: 1,
  config: 2,
  providers: 3,
  state: 3,
  sandbox: 3,
  tools: 4,
  runs: 5,
  cost: 6,
  resilience: 7,
  agents: 8,
};
const TOP = 9;

/**
 * Imports that go against the order today, each with why it is still there. The test fails when one of
 * them is gone (remove it here) as much as when a new one appears.
 */
const KNOWN_UPWARD: ReadonlyMap<string, string> = new Map([
  [
    'src/core/config/schema.ts → src/core/tools/registry.ts',
    "The config's tool names are validated against the registry, so a new tool needs only its definition and its registration; it goes once the loader takes the tool names from the composition root.",
  ],
]);

const root = path.resolve(__dirname, '../../..');
const CORE = 'src/core';

function layerOf(file: string): { dir: string; rank: number } {
  const rest = path.relative(CORE, file).split(path.sep);
  if (rest.length === 1) return { dir: '.', rank: TOP };
  const dir = rest[0] ?? '';
  const rank = LAYERS[dir];
  if (rank === undefined) throw new Error(`${file}: src/core/${dir} has no layer; add it to LAYERS in this test and to docs/ARCHITECTURE.md`);
  return { dir, rank };
}

describe('layers: the import graph of src/core', () => {
  const graph = readImportGraph(root, CORE);
  const known = (from: string, to: string): boolean => KNOWN_UPWARD.has(`${from} → ${to}`);
  /** The graph without the known upward imports: what must be acyclic. */
  const edges = new Map([...graph.edges].map(([from, tos]) => [from, tos.filter((to) => !known(from, to))]));

  it('parses every file (a sanity check that the graph is not empty)', () => {
    assert.ok(graph.edges.size > 100, `only ${graph.edges.size} files read from ${CORE}`);
    assert.ok([...graph.edges.values()].some((tos) => tos.length > 0));
  });

  it('has no import cycle between files', () => {
    const found = cycles(edges).map((c) => `  ${cyclePath(edges, c, c[0] ?? '').join(' → ')}  (${c.length} files in the cycle)`);
    assert.deepEqual(found, [], `import cycles in ${CORE}:\n${found.join('\n')}`);
  });

  it('has no import cycle between its directories', () => {
    const dirs = directoryGraph(edges, CORE);
    const found = cycles(dirs).map((c) => `  ${cyclePath(dirs, c, c[0] ?? '').join(' → ')}`);
    assert.deepEqual(found, [], `directory cycles in ${CORE}:\n${found.join('\n')}`);
  });

  it('imports only downwards, in the order of LAYERS', () => {
    const upward: string[] = [];
    for (const [from, tos] of graph.edges) {
      const a = layerOf(from);
      for (const to of tos) {
        if (!to.startsWith(CORE + path.sep)) continue;
        const b = layerOf(to);
        if (a.dir === b.dir || b.rank < a.rank || known(from, to)) continue;
        upward.push(`  ${from} (${a.dir}, layer ${a.rank}) → ${to} (${b.dir}, layer ${b.rank})`);
      }
    }
    assert.deepEqual(upward, [], `imports that go up or sideways:\n${upward.join('\n')}`);
  });

  it('lists only known upward imports that still exist', () => {
    const gone = [...KNOWN_UPWARD.keys()].filter((k) => {
      const [from, to] = k.split(' → ');
      return !(graph.edges.get(from ?? '') ?? []).includes(to ?? '');
    });
    assert.deepEqual(gone, [], 'these imports are gone: remove them from KNOWN_UPWARD');
  });

  it('never imports the extension, the CLI, the webview or the protocol, nor vscode', () => {
    const outside: string[] = [];
    for (const [from, tos] of graph.edges) for (const to of tos) if (!to.startsWith(CORE + path.sep)) outside.push(`  ${from} → ${to}`);
    for (const [from, specs] of graph.specifiers) for (const s of specs) if (s === 'vscode' || s.startsWith('vscode/')) outside.push(`  ${from} → ${s}`);
    assert.deepEqual(outside, [], `src/core must stand alone:\n${outside.join('\n')}`);
  });
});

describe('layers: the cycle finder', () => {
  it('finds a file cycle and a directory cycle, and shows a path through each', () => {
    const edges = new Map<string, string[]>([
      ['src/core/a/x.ts', ['src/core/b/y.ts']],
      ['src/core/b/y.ts', ['src/core/a/z.ts']],
      ['src/core/a/z.ts', []],
      ['src/core/c/p.ts', ['src/core/c/q.ts']],
      ['src/core/c/q.ts', ['src/core/c/p.ts']],
    ]);
    assert.deepEqual(cycles(edges), [['src/core/c/p.ts', 'src/core/c/q.ts']]);
    assert.deepEqual(cyclePath(edges, ['src/core/c/p.ts', 'src/core/c/q.ts'], 'src/core/c/p.ts'), ['src/core/c/p.ts', 'src/core/c/q.ts', 'src/core/c/p.ts']);
    const dirs = directoryGraph(edges, 'src/core');
    assert.deepEqual(cycles(dirs), [['a', 'b']]);
  });
});
