// Lean Lambda packages (docs/performance.md, "What each function carries"):
// - before the functions are bundled, trimtab.yml is validated with the full schema and compiled
//   to trimtab.policies.json (lib/policy/compile.ts), which package.patterns ships: the functions
//   read that JSON and neither parse YAML nor build the zod schema at start-up;
// - `esbuildDefine()` is serverless.yml's custom.esbuild.define: TRIMTAB_LEAN_BUNDLE="1" lets
//   esbuild drop the sandbox and the YAML loader from the bundles (lib/lambda/bundle.ts), unless
//   TRIMTAB_SANDBOX is set (`TRIMTAB_SANDBOX=1 npx osls invoke local` runs on the sandbox).
// - `osls deploy` (and `deploy function`) refuses while the policy file or serverless.yml still
//   has the example addresses (approvers, the SES sender `approvalMailFrom`): approval emails
//   would go to example.com, or fail from an unverified sender. TRIMTAB_DEPLOY_ALLOW_EXAMPLE=1
//   deploys anyway with a warning (a throwaway stage). `osls package` never checks: the tests and
//   CI package the example file. docs/deploying.md, "Before you deploy".
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

/** Domains reserved for examples (RFC 2606): mail to them goes nowhere, and SES cannot verify them. */
const EXAMPLE_ADDRESS = /@(?:[a-z0-9-]+\.)*example\.(?:com|org|net)$/i;

/**
 * The example addresses a deploy must not go out with: the approvers in the policy file (its
 * defaults and each policy's own) and the SES sender. Returns one line per problem; empty when none.
 */
function exampleAddressProblems(policyText, mailFrom) {
  const problems = [];
  const doc = require('yaml').parse(policyText) || {};
  const approval = (doc.defaults && doc.defaults.approval) || {};
  const listed = (approvers) => (Array.isArray(approvers) ? approvers : []).filter((a) => typeof a === 'string' && EXAMPLE_ADDRESS.test(a.trim()));
  const defaults = listed(approval.approvers);
  if (defaults.length) problems.push(`${SOURCE} defaults.approval.approvers: ${defaults.join(', ')}`);
  for (const policy of Array.isArray(doc.policies) ? doc.policies : []) {
    const own = listed(policy && policy.approval && policy.approval.approvers);
    if (own.length) problems.push(`${SOURCE} policy ${policy.id}: approval.approvers ${own.join(', ')}`);
  }
  if (typeof mailFrom === 'string' && EXAMPLE_ADDRESS.test(mailFrom.trim())) problems.push(`the SES sender ${mailFrom} (set --param="approvalMailFrom=<a verified SES identity>")`);
  return problems;
}

const ALLOW_ENV = 'TRIMTAB_DEPLOY_ALLOW_EXAMPLE';

/** Throws before a deploy that still has example addresses; with TRIMTAB_DEPLOY_ALLOW_EXAMPLE=1, warns instead. */
function checkDeploy(serverless, env = process.env, readPolicy = () => require('node:fs').readFileSync(join(ROOT, SOURCE), 'utf8')) {
  const custom = (serverless.service && serverless.service.custom) || {};
  const mailFrom = custom.approval && custom.approval.mailFrom;
  const problems = exampleAddressProblems(readPolicy(), mailFrom);
  if (!problems.length) return [];
  const text = `still has example addresses:\n  - ${problems.join('\n  - ')}\nReplace them (docs/deploying.md, "Before you deploy")`;
  if (env[ALLOW_ENV] === '1' || env[ALLOW_ENV] === 'true') {
    const warn = `trimtab: WARNING: deploying anyway (${ALLOW_ENV}=${env[ALLOW_ENV]}): this deploy ${text}.`;
    if (serverless.cli && serverless.cli.log) serverless.cli.log(warn);
    else console.warn(warn);
    return problems;
  }
  // The framework's own error class prints the message without a stack trace.
  const ErrorClass = (serverless.classes && serverless.classes.Error) || Error;
  throw new ErrorClass(`trimtab: refusing to deploy: this deploy ${text}, or set ${ALLOW_ENV}=1 to deploy a throwaway stage anyway. Nothing was deployed.`);
}

/** Is this osls run a deploy (`deploy`, `deploy function`)? `package` and `invoke local` are not. */
const isDeploy = (serverless) => {
  const commands = (serverless.processedInput && serverless.processedInput.commands) || [];
  return commands[0] === 'deploy' && commands[1] !== 'list';
};

class TrimtabPackage {
  constructor(serverless) {
    this.serverless = serverless;
    const compile = () => compilePolicies((line) => serverless.cli && serverless.cli.log && serverless.cli.log(`trimtab: ${line}`));
    // Before anything is packaged or uploaded: `initialize` runs first for every command.
    const preflight = () => {
      if (isDeploy(serverless)) checkDeploy(serverless);
    };
    this.hooks = {
      initialize: preflight,
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
module.exports.exampleAddressProblems = exampleAddressProblems;
module.exports.checkDeploy = checkDeploy;
module.exports.ALLOW_EXAMPLE_ENV = ALLOW_ENV;
