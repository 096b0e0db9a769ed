#!/usr/bin/env node
// Runs Wharf from a build of src/ made by esbuild (dist/current/wharf.mjs), rebuilt here whenever a
// source file is newer than it. Running the TypeScript through a loader (tsx) at run time costs
// about a fifth of blob throughput, so the build is what serves. The build is split into chunks
// that load lazily: client commands never load the server stack (fastify, stores, trust), which
// keeps each CLI call short.
import { mkdirSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, utimesSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const builds = join(dist, 'builds');
/** A symlink to the build in use, swapped atomically (rename) after each build. */
const current = join(dist, 'current');
const entry = join(current, 'wharf.mjs');
/** Older builds are removed once no process can still be loading chunks from them. */
const OLD_BUILD_MS = 10 * 60_000;

function newestSourceMtime(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestSourceMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function buildMtime() {
  try {
    return statSync(entry).mtimeMs;
  } catch {
    return -1;
  }
}

async function rebuild() {
  const { build } = await import('esbuild');
  const startedAt = new Date();
  const id = `${startedAt.getTime()}-${process.pid}`;
  const partial = join(builds, `${id}.tmp`);
  mkdirSync(builds, { recursive: true });
  await build({
    entryPoints: { wharf: join(root, 'src', 'cli', 'main.ts') },
    outdir: partial,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    // Linked, not inline: node reads maps only under --enable-source-maps, so they cost nothing otherwise.
    sourcemap: 'linked',
    logLevel: 'warning',
  });
  // Stamped with the start time, so that a source saved while building triggers the next rebuild.
  utimesSync(join(partial, 'wharf.mjs'), startedAt, startedAt);
  // Built into a temp dir, renamed, then the `current` link swapped by rename: concurrent starts
  // never see a half-written build, and a process keeps loading chunks from the build it started with.
  const done = join(builds, id);
  renameSync(partial, done);
  const link = join(dist, `current.${process.pid}.tmp`);
  rmSync(link, { force: true });
  symlinkSync(join('builds', id), link);
  renameSync(link, current);
  removeOldBuilds(id);
}

function removeOldBuilds(keep) {
  const now = Date.now();
  for (const name of readdirSync(builds)) {
    const path = join(builds, name);
    // Another process starting at the same time may have removed (or renamed) it since readdir.
    const mtimeMs = statSync(path, { throwIfNoEntry: false })?.mtimeMs;
    if (name !== keep && mtimeMs !== undefined && now - mtimeMs > OLD_BUILD_MS) rmSync(path, { recursive: true, force: true });
  }
  // The single-file bundle of earlier versions.
  rmSync(join(dist, 'wharf.mjs'), { force: true });
}

if (buildMtime() < newestSourceMtime(join(root, 'src'))) await rebuild();
await import(pathToFileURL(entry).href);
