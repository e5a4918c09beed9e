import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * A synthetic workspace of `files` small source files in nested folders, with a `.gitignore`d build folder
 * and a `.breakwaterignore`d secrets folder, made once per bench run in the temp dir. The content is
 * deterministic so figures compare across runs.
 */
export interface GeneratedWorkspace {
  readonly root: string;
  readonly files: number;
  dispose(): void;
}

export function generateWorkspace(files = 50_000): GeneratedWorkspace {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bw-bench-ws-'));
  fs.writeFileSync(path.join(root, '.gitignore'), 'build/\n');
  fs.writeFileSync(path.join(root, '.breakwaterignore'), 'secrets/\n');
  const perDir = 100;
  for (let i = 0; i < files; i++) {
    const dir = path.join(root, 'src', `pkg${Math.floor(i / (perDir * 50))}`, `mod${Math.floor(i / perDir) % 50}`);
    if (i % perDir === 0) fs.mkdirSync(dir, { recursive: true });
    const marker = i % 97 === 0 ? `// TODO(bench): revisit item ${i}\n` : '';
    fs.writeFileSync(
      path.join(dir, `file${i}.ts`),
      `${marker}export function f${i}(x: number): number {\n  return x * ${i % 13} + ${i};\n}\n`,
    );
  }
  fs.mkdirSync(path.join(root, 'build'), { recursive: true });
  fs.writeFileSync(path.join(root, 'build', 'out.ts'), '// TODO(bench): ignored by .gitignore\n');
  fs.mkdirSync(path.join(root, 'secrets'), { recursive: true });
  fs.writeFileSync(path.join(root, 'secrets', 'key.ts'), '// TODO(bench): ignored by .breakwaterignore\n');
  return { root, files, dispose: () => fs.rmSync(root, { recursive: true, force: true }) };
}
