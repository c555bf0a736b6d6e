// Lean Lambda packages (docs/performance.md, "What each function carries"):
// - before the functions are bundled, trimtab.yml is validated with the full schema and compiled
//   to trimtab.policies.json (lib/policy/compile.ts), which package.patterns ships: the functions
//   read that JSON and neither parse YAML nor build the zod schema at start-up;
// - `esbuildDefine()` is serverless.yml's custom.esbuild.define: TRIMTAB_LEAN_BUNDLE="1" lets
//   esbuild drop the sandbox and the YAML loader from the bundles (lib/lambda/bundle.ts), unless
//   TRIMTAB_SANDBOX is set (`TRIMTAB_SANDBOX=1 npx osls invoke local` runs on the sandbox).
// Listed before serverless-esbuild in serverless.yml, so its hooks run first.
'use strict';

const { execFileSync } = require('node:child_process');
const { join } = require('node:path');

const ROOT = join(__dirname, '..', '..');
const SOURCE = 'trimtab.yml';
const COMPILED = 'trimtab.policies.json';

function sandboxed(env = process.env) {
  return env.TRIMTAB_SANDBOX === '1' || env.TRIMTAB_SANDBOX === 'true';
}

/**
 * esbuild's define for the function bundles, from process.env. serverless.yml's
 * `${file(...):esbuildDefine}` calls it with the framework's resolver object
 * ({ options, resolveConfigurationProperty, resolveVariable }), not an environment: that argument is
 * ignored (reading TRIMTAB_SANDBOX from it made every bundle lean, so `TRIMTAB_SANDBOX=1 osls invoke
 * local` refused to run). Tests call defineFor(env).
 */
function esbuildDefine() {
  return defineFor(process.env);
}

function defineFor(env) {
  return { 'process.env.TRIMTAB_LEAN_BUNDLE': sandboxed(env) ? '"0"' : '"1"' };
}

/** Validates trimtab.yml and writes trimtab.policies.json; a bad file fails the package with the CLI's errors. */
function compilePolicies(log = () => {}) {
  try {
    const out = execFileSync(process.execPath, ['--import', 'tsx', join('lib', 'policy', 'compile.ts'), SOURCE, COMPILED], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    log(out.trim());
  } catch (error) {
    throw new Error(`trimtab: ${SOURCE} did not compile, nothing was packaged:\n${(error.stderr || error.message).trim()}`);
  }
}

class TrimtabPackage {
  constructor(serverless) {
    this.serverless = serverless;
    const compile = () => compilePolicies((line) => serverless.cli && serverless.cli.log && serverless.cli.log(`trimtab: ${line}`));
    this.hooks = {
      'before:package:createDeploymentArtifacts': compile,
      'before:deploy:function:packageFunction': compile,
      'before:invoke:local:invoke': compile,
    };
  }
}

module.exports = TrimtabPackage;
module.exports.esbuildDefine = esbuildDefine;
module.exports.defineFor = defineFor;
module.exports.compilePolicies = compilePolicies;
module.exports.COMPILED_POLICY_FILE = COMPILED;
