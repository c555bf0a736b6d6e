#!/usr/bin/env node
// `npm test` (docs/testing.md, "Suite"): the type check and `osls package` run beside vitest
// instead of before or after it, at a lower CPU priority, so they take the time vitest's two
// workers leave a core idle (children waiting, local servers, dynalite) instead of 25 s and 28 s
// of their own. No test reads anything they write: tsc writes nothing (--noEmit); `osls package`
// writes .serverless/, .esbuild/ and trimtab.policies.json, which only the package tests read
// (functions run from source read trimtab.yml, lib/lambda/bundle.ts). Then, when vitest and the
// packaging passed, the package tests (the CloudFormation template, zips and bundle metafiles).
//
// Nothing is hidden: vitest and the package tests print as they run; the output of tsc and
// `osls package` is kept and printed under its own heading when vitest ends; the summary names
// every step and its result, and the exit code is 1 when any step failed.
import { spawn } from 'node:child_process';
import { setPriority } from 'node:os';

const children = new Set();
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const child of children) child.kill(signal);
    process.exit(130);
  });
}

/** Runs `npm run <script>`; `capture` keeps its output for later, `nice` lowers its priority. */
function run(script, { capture = false, nice = 0 } = {}) {
  const start = performance.now();
  const child = spawn('npm', ['run', '--silent', script], { stdio: capture ? ['ignore', 'pipe', 'pipe'] : 'inherit' });
  children.add(child);
  if (nice) {
    try {
      setPriority(child.pid, nice);
    } catch {
      // Not permitted here: it runs at normal priority, which changes only the timing.
    }
  }
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      children.delete(child);
      resolve({ script, ok: code === 0, code: code ?? signal, output, seconds: (performance.now() - start) / 1000 });
    });
  });
}

const typecheck = run('typecheck', { capture: true, nice: 10 });
const packaging = run('package', { capture: true, nice: 10 });
const vitest = await run('test:unit');
const [tsc, packaged] = await Promise.all([typecheck, packaging]);
const results = [tsc, packaged, vitest];

for (const [step, r] of [['typecheck (tsc --noEmit, beside vitest)', tsc], ['package (osls package, beside vitest)', packaged]]) {
  console.log(`\n── ${step}: ${r.ok ? 'passed' : `FAILED (exit ${r.code})`} ──`);
  if (r.output.trim()) console.log(r.output.trimEnd());
}
const skipped = !vitest.ok ? 'vitest failed' : !packaged.ok ? 'osls package failed' : undefined;
if (!skipped) results.push(await run('test:package'));
console.log('\n── npm test ──');
for (const r of results) console.log(`${r.ok ? 'passed' : 'FAILED'}  ${r.script.padEnd(14)} ${r.seconds.toFixed(1)} s${r.ok ? '' : ` (exit ${r.code})`}`);
if (skipped) console.log(`skipped test:package (${skipped})`);
process.exit(results.every((r) => r.ok) ? 0 : 1);
