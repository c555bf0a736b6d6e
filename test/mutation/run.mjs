#!/usr/bin/env node
/**
 * Mutation testing, one target file at a time (docs/testing.md "Mutation testing"):
 *   npm run test:mutation                         every target below, in order
 *   npm run test:mutation -- lib/engine/scope.ts  one target (or several)
 *   npm run test:mutation -- --force lib/x.ts     options starting with -- go to stryker; --force after
 *                                                 editing tests (see below)
 * Incremental mode and edited tests: the vitest runner reports no test locations, so Stryker cannot see
 * that a test's body changed and reuses the old result of every mutant; after editing the tests of a
 * target, rerun it with --force.
 * Each target runs `stryker run --mutate <file>` (stryker.config.json: vitest runner, perTest
 * coverage, concurrency 1) with its own incremental file, so a rerun re-tests only the mutants
 * whose code or covering tests changed, and with the test files that cover it (STRYKER_TESTS,
 * vitest.stryker.config.ts): a narrower dry run than the whole suite on a shared machine.
 * Each target's JSON report is kept in reports/mutation/files/, and all kept ones are merged
 * into reports/mutation/mutation.json; the per-file scores are printed at the end.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const resources = (type) => [`test/unit/resources/${type}/**/*.test.ts`, `test/integration/${type}*.test.ts`, 'test/integration/apply-time-rechecks.test.ts'];
/*
 * The approval files are measured against their own unit tests only (an in-memory store, no local stack, no
 * test/setup.ts): page-responses / page-charts for page.ts, workflow-steps for workflow.ts. They import only
 * test/approval-constants.ts, so a mutant's rerun re-imports ~5 s of modules instead of the local stack and every
 * resource module (~50 s a mutant under load). test/security/approval-attacks.test.ts starts the whole local approval
 * stack and its fuzz test reaches most of page.ts, so it would run for nearly every mutant; smaller-gaps,
 * injection-and-expiry, store-transitions and apply-budget import the local stack, the sandbox or the Lambda handlers.
 */
/**
 * lib/engine/run.ts is large; its limits are mutated by line range (Stryker's `file:start-end`): the dry-run mode
 * (effectiveMode 309, actsOn and settle 326-339), the cooldown histories, the per-run counts, the confirmation and the
 * per-policy dispatch (456-485), protection in toFinding (747-768), and lastActions / applyAll / skip (838-923).
 * Check the ranges against the file after editing it (last checked 2026-12-08 00:10 UTC at f1118ec: unchanged since the checkpoint changes of issue 29).
 */
/**
 * lib/resources/rds-instance/remediators.ts (936 lines) is mutated by line range, everything after the imports and
 * constants: the shared reads and re-checks (rdsErrorIs, describeInstance, describeCluster, refuseIfProtected, boundOf,
 * changedSincePlan, the stop decision re-read), stop-db-instance / restop-db-instance (78-326), snapshot-and-delete
 * (copyableTags, specOf, restoreStorage, the snapshot look-up and wait, deleteInstance, plan, apply, verify, undo:
 * 114-117 and 327-711), modify-storage-gp3, downsize-db-instance and lower-min-capacity (712-936). Measured in parts
 * (docs/testing.md "Scores"). Check the ranges after editing the file (last checked 2026-12-08 02:45 UTC at 7b8d3e6).
 */
const RDS_RANGES = ['78-326', '327-711', '712-936'].map((range) => `lib/resources/rds-instance/remediators.ts:${range}`);
const RUN_LIMITS = ['309-309', '326-339', '456-485', '747-768', '838-923'].map((range) => `lib/engine/run.ts:${range}`);
/** The remediators' own unit tests against a scripted AWS (test/unit/resources/fake-aws.ts): no test/setup.ts needed. */
const remediator = (...tests) => ({ tests, setup: false });
/**
 * lib/resources targets run with `vitest.related` off (test/mutation/resources.stryker.config.mjs): their tests reach
 * them through the resource registry, which `vitest related` does not follow, and Stryker stopped with "No tests were
 * executed" on every remediator.
 */
const RESOURCES_CONFIG = 'test/mutation/resources.stryker.config.mjs';

/** The safety-critical files (issue 30) and the tests each is measured against; `setup: false` for pure modules (no test/setup.ts). */
export const TARGETS = [
  { file: 'lib/approval/links.ts', tests: ['test/unit/approval/links.test.ts'], setup: false },
  { file: 'lib/engine/scope.ts', tests: ['test/unit/engine/scope.test.ts', 'test/unit/engine/scope-before-enrich.test.ts'], setup: false },
  { file: 'lib/aws/clients.ts', tests: ['test/unit/aws/clients.test.ts', 'test/unit/aws/clients-wiring.test.ts'], setup: false },
  { file: 'lib/resources/dynamodb-table/remediators.ts', mutate: ['51-55', '63-110', '125-125', '137-205', '231-284', '348-397', '440-485', '512-567'].map((r) => `lib/resources/dynamodb-table/remediators.ts:${r}`), ...remediator('test/unit/resources/dynamodb-table/remediators.test.ts') },
  { file: 'lib/resources/ebs-snapshot/remediators.ts', ...remediator('test/unit/resources/ebs-snapshot/remediators.test.ts', 'test/unit/resources/ebs-snapshot/remediators-aws.test.ts', 'test/unit/resources/ebs-snapshot/remediators-survivors.test.ts') },
  { file: 'lib/resources/rds-instance/remediators.ts', mutate: RDS_RANGES, ...remediator('test/unit/resources/rds-instance/stop-remediator.test.ts', 'test/unit/resources/rds-instance/resize-remediators.test.ts', 'test/unit/resources/rds-instance/gp3-remediator.test.ts', 'test/unit/resources/rds-instance/snapshot-delete-remediator.test.ts') },
  // ebs-volume/remediators.ts: both remediators' metadata, plan, apply, verify and undo and the helpers they use (describeVolume, copyableTags,
  // specOf, the snapshot reads and wait, latestModification); the two applys (188-258, 365-387) were measured first, the rest added after.
  // All seven ranges measured together 2026-12-08 (docs/testing.md "Scores"); ranges last checked against the file 2026-12-08 02:10 UTC.
  { file: 'lib/resources/ebs-volume/remediators.ts', mutate: ['59-71', '112-187', '188-258', '259-307', '327-364', '365-387', '388-441'].map((r) => `lib/resources/ebs-volume/remediators.ts:${r}`), ...remediator('test/unit/resources/ebs-volume/remediators.test.ts') },
  // performance.ts: the two remediators (raise-volume-performance, lower-volume-iops) and their helpers, 293-474; its detectors are tested by performance.test.ts.
  { file: 'lib/resources/ebs-volume/performance.ts', mutate: ['lib/resources/ebs-volume/performance.ts:293-474'], ...remediator('test/unit/resources/ebs-volume/performance-remediators.test.ts') },
  { file: 'lib/resources/elastic-ip/remediators.ts', ...remediator('test/unit/resources/elastic-ip/remediators.test.ts') },
  // rightsize.ts: the reads (readRawGroup, readVersion 195-207), the apply-time re-checks (currentTemplate, 208-238), otherUsers,
  // launchFit, deleteOwnVersion, aliasNote (239-335), plan (336-357), apply (364-470: up to the group update, its compensation, the
  // refresh), verify and undo (471-531) (docs/testing.md "Scores"); 358-363 is a comment; the detector is not a target
  // (last checked 2026-12-08 04:08 UTC).
  { file: 'lib/resources/asg/rightsize.ts', mutate: ['195-357', '364-531'].map((r) => `lib/resources/asg/rightsize.ts:${r}`), ...remediator('test/unit/resources/asg/rightsize-remediator.test.ts') },
  { file: 'lib/resources/s3-bucket/remediators.ts', ...remediator('test/unit/resources/s3-bucket/lifecycle-remediator-aws.test.ts', 'test/unit/resources/s3-bucket/lifecycle-remediator-plan.test.ts') },
  // Measured against a made-up resource type and an in-memory store (no sandbox, no test/setup.ts: ~2-3 s a mutant, not 16-30 s);
  // run.test.ts, limits.test.ts and test/security/blast-radius.test.ts test the same limits against the sandbox in `npm test`.
  { file: 'lib/engine/run.ts', mutate: RUN_LIMITS, tests: ['test/unit/engine/limits-fake.test.ts'], setup: false },
  { file: 'lib/approval/workflow.ts', tests: ['test/unit/approval/workflow-steps.test.ts', 'test/unit/approval/workflow-load.test.ts'], setup: false },
  { file: 'lib/approval/page.ts', tests: ['test/unit/approval/page-responses.test.ts', 'test/unit/approval/page-charts.test.ts'], setup: false },
  // asg/remediators.ts: the whole file (416 mutants), measured 2026-12-08 04:01–04:12 UTC at load ~3 (~1.5 s a mutant).
  { file: 'lib/resources/asg/remediators.ts', ...remediator('test/unit/resources/asg/tuning-remediators.test.ts', 'test/unit/resources/asg/tuning-plans.test.ts', 'test/unit/resources/asg/remediators.test.ts') },
  // capacity.ts: raise-max-size only (metadata, plan, apply, verify, undo); its detector is tested by capacity.test.ts (not needed here:
  // raise-max-size.test.ts covers the plans capacity.test.ts does, exactly).
  { file: 'lib/resources/asg/capacity.ts', mutate: ['57-93', '176-268'].map((r) => `lib/resources/asg/capacity.ts:${r}`), ...remediator('test/unit/resources/asg/raise-max-size.test.ts', 'test/unit/resources/asg/tuning-remediators.test.ts') },
  // change-type.ts: the whole file, measured in ranged runs (docs/testing.md "Scores"): the reads, the window, the type facts and the
  // placement checks, the waits and the step machine (with the last-moment re-check before the modify), and the remediator (firstWrite,
  // plan, apply, verify, undo). A whole-file run is ~830 mutants (over an hour at ~5 s a mutant); the incremental file makes reruns quick.
  { file: 'lib/resources/ec2-instance/change-type.ts', ...remediator('test/unit/resources/ec2-instance/change-type-remediator.test.ts') },
  { file: 'lib/resources/ec2-instance/remediators.ts', ...remediator('test/unit/resources/ec2-instance/stop-remediator.test.ts') },
  { file: 'lib/resources/lambda-function/remediators.ts', ...remediator('test/unit/resources/lambda-function/set-memory-remediator.test.ts') },
  { file: 'lib/resources/log-group/remediators.ts', ...remediator('test/unit/resources/log-group/remediators.test.ts') },
];

const slug = (file) => file.replace(/^lib\//, '').replace(/\.ts$/, '').replace(/[/.]/g, '-');
const REPORTS = 'reports/mutation';
const FILES = join(REPORTS, 'files');

function runOne(target) {
  const env = { ...process.env, STRYKER_TESTS: target.tests.join(','), ...(target.setup === false ? { STRYKER_SETUP: 'none' } : {}) };
  const config = target.file.startsWith('lib/resources/') ? [RESOURCES_CONFIG] : [];
  const args = ['stryker', 'run', ...config, ...options, '--mutate', (target.mutate ?? [target.file]).join(','), '--incrementalFile', join(REPORTS, 'incremental', `${slug(target.file)}.json`)];
  console.log(`\n== ${target.file}\n   STRYKER_TESTS='${env.STRYKER_TESTS}'${target.setup === false ? ' STRYKER_SETUP=none' : ''} npx ${args.join(' ')}`);
  const result = spawnSync('npx', args, { env, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`stryker failed on ${target.file} (exit ${result.status})`);
  mkdirSync(FILES, { recursive: true });
  copyFileSync(join(REPORTS, 'mutation.json'), join(FILES, `${slug(target.file)}.json`));
}

/** mutation-testing-report-schema: killed + timeout over all valid mutants (what Stryker calls the total score). */
function score(mutants) {
  const valid = mutants.filter((m) => !['CompileError', 'RuntimeError', 'Ignored'].includes(m.status));
  const detected = valid.filter((m) => m.status === 'Killed' || m.status === 'Timeout').length;
  return { detected, valid: valid.length, survived: valid.filter((m) => m.status === 'Survived').length, noCoverage: valid.filter((m) => m.status === 'NoCoverage').length, score: valid.length ? (100 * detected) / valid.length : 100 };
}

function merge() {
  if (!existsSync(FILES)) return;
  let merged;
  for (const name of readdirSync(FILES).filter((n) => n.endsWith('.json')).sort()) {
    const report = JSON.parse(readFileSync(join(FILES, name), 'utf8'));
    merged ??= { ...report, files: {} };
    Object.assign(merged.files, report.files);
  }
  if (!merged) return;
  writeFileSync(join(REPORTS, 'mutation.json'), JSON.stringify(merged));
  console.log('\nfile | score | killed+timeout / valid | survived | no coverage');
  for (const [file, { mutants }] of Object.entries(merged.files).sort()) {
    const s = score(mutants);
    console.log(`${file} | ${s.score.toFixed(2)} % | ${s.detected} / ${s.valid} | ${s.survived} | ${s.noCoverage}`);
  }
}

const options = process.argv.slice(2).filter((a) => a.startsWith('--'));
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const targets = wanted.length ? wanted.map((file) => TARGETS.find((t) => t.file === file) ?? { file, tests: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/security/**/*.test.ts'] }) : TARGETS;
try {
  for (const target of targets) runOne(target);
} finally {
  merge();
}
