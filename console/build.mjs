// Builds the console into dist/: the package (../clients/js) first when its dist/ is missing or
// older than its sources, then the pages with tsc, then the static files and the package's
// browser modules (vendor/actas/, never node.js). No bundler: the browser loads ES modules.
//
//   npm ci && npm run build

import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = join(here, '..', 'clients', 'js');
const pkgDist = join(pkg, 'dist');
const dist = join(here, 'dist');
const types = join(here, '.types', 'vendor', 'actas');
// The same TypeScript (6.0.3) builds both, so the package needs no install of its own here.
const tsc = join(here, 'node_modules', 'typescript', 'bin', 'tsc');

if (!existsSync(tsc)) fail('TypeScript is not installed: run `npm ci` in console/ first');

const mtime = (file) => statSync(file).mtimeMs;
const newest = (dir) => Math.max(...readdirSync(dir).map((f) => mtime(join(dir, f))));
const pkgStale =
  !existsSync(join(pkgDist, 'index.js')) ||
  !existsSync(join(pkgDist, 'banner.js')) ||
  Math.max(newest(join(pkg, 'src')), mtime(join(pkg, 'tsconfig.json'))) > newest(pkgDist);
if (pkgStale) {
  console.log('building ../clients/js');
  run(tsc, ['-p', pkg]);
}

// The package's browser part: index.js and what it imports, without the Node entry.
const browserFiles = readdirSync(pkgDist).filter((f) => /\.(js|d\.ts)$/.test(f) && !/^node\./.test(f));

rmSync(join(here, '.types'), { recursive: true, force: true });
mkdirSync(types, { recursive: true });
for (const f of browserFiles.filter((f) => f.endsWith('.d.ts'))) copyFileSync(join(pkgDist, f), join(types, f));

rmSync(dist, { recursive: true, force: true });
run(tsc, ['-p', here]);

for (const f of readdirSync(join(here, 'static'))) copyFileSync(join(here, 'static', f), join(dist, f));
const vendor = join(dist, 'vendor', 'actas');
mkdirSync(vendor, { recursive: true });
for (const f of browserFiles.filter((f) => f.endsWith('.js'))) copyFileSync(join(pkgDist, f), join(vendor, f));

// Sizes, for the record.
let total = 0;
let js = 0;
const walk = (dir) => {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = join(dir, entry.name);
    if (entry.isDirectory()) walk(file);
    else {
      const size = statSync(file).size;
      total += size;
      if (file.endsWith('.js')) js += size;
    }
  }
};
walk(dist);
console.log(`console/dist: ${total} bytes (${js} of JavaScript)`);

function run(command, args) {
  try {
    execFileSync(process.execPath, [command, ...args], { stdio: 'inherit' });
  } catch {
    fail(`${command} ${args.join(' ')} failed`);
  }
}

function fail(message) {
  console.error(`build: ${message}`);
  process.exit(1);
}
