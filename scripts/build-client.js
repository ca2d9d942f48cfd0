// Bundles every browser island src/web/client/*.ts into public/build/<name>.js with esbuild (modules they share live in src/web/client/lib/).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = path.join(root, 'src/web/client');
const entryPoints = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')).map((f) => path.join(dir, f)) : [];
if (entryPoints.length) {
  await build({
    entryPoints,
    bundle: true,
    format: 'esm',
    target: 'es2020',
    minify: true,
    sourcemap: true,
    outdir: path.join(root, 'public/build'),
    loader: { '.css': 'css', '.woff': 'file', '.woff2': 'file', '.ttf': 'file', '.eot': 'file', '.svg': 'file' },
    logLevel: 'warning',
  });
}
console.log(`client bundles: ${entryPoints.length}`);
