#!/usr/bin/env node
// `npm test` (docs/testing.md, "Suite"): the type check runs beside vitest instead of before it,
// at a lower CPU priority, so it takes the time vitest's two workers leave a core idle (children
// waiting, local servers, dynalite) instead of 35–40 s of its own. No test reads anything tsc
// reads or writes (it writes nothing: --noEmit). Then, when vitest passed, the package check
// (`osls package` and the template and bundle tests).
//
// Nothing is hidden: vitest and the package check print as they run; tsc's output is kept and
// printed under its own heading when it ends; the summary names every step and its result, and
// the exit code is 1 when any step failed (a failed type check fails `npm test` as before).
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
const vitest = await run('test:unit');
const results = [vitest];
if (vitest.ok) results.push(await run('package:check'));
const tsc = await typecheck;
results.unshift(tsc);

console.log(`\n── typecheck (tsc --noEmit, beside vitest): ${tsc.ok ? 'passed' : `FAILED (exit ${tsc.code})`} ──`);
if (tsc.output.trim()) console.log(tsc.output.trimEnd());
console.log('\n── npm test ──');
for (const r of results) console.log(`${r.ok ? 'passed' : 'FAILED'}  ${r.script.padEnd(14)} ${r.seconds.toFixed(1)} s${r.ok ? '' : ` (exit ${r.code})`}`);
if (!vitest.ok) console.log('skipped package:check (vitest failed)');
process.exit(results.every((r) => r.ok) ? 0 : 1);
