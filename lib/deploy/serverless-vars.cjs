// Serverless variable resolver: `${file(./lib/deploy/serverless-vars.cjs):scanEvents}` etc.
// It reads trimtab.yml with the very same TypeScript schema the CLI uses, in a child Node
// process running tsx (the framework's own module loader cannot host tsx's hooks).
const { execFileSync } = require('node:child_process');
const { join } = require('node:path');

let config;
function load() {
  if (!config) {
    const script = join(__dirname, 'print-stack-config.ts');
    const out = execFileSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', cwd: join(__dirname, '..', '..') });
    config = JSON.parse(out);
  }
  return config;
}

// Each key of stackConfig() (lib/deploy/stack.ts) is exported as an async resolver.
const NAMES = [
  'scanEvents', 'scanIamStatements', 'eventEvents', 'eventIamStatements', 'alarmEvents', 'alarmIamStatements', 'alarmSyncEvents', 'alarmSyncIamStatements',
  'auditIamStatements', 'auditDashboardBody', 'approvalDefinition', 'approvalApplyIamStatements', 'approvalVerifyIamStatements',
  // Hub and spokes (lib/org/deploy.ts).
  'orgSweepDefinition', 'orgSweepEvents', 'organizationId', 'sweepAccountIamStatements',
  // "Sweep the account" (lib/lambda/sweep-machine.ts): the schedules loop over scan invocations.
  'sweepDefinition', 'sweepEvents',
];
// Values that name the approval link secret's SSM parameter carry a placeholder (lib/approval/deploy.ts),
// replaced here with serverless.yml's custom.approval.linkSecretParameter (resolved for the stage).
const SECRET_PLACEHOLDER = '{{custom.approval.linkSecretParameter}}';
for (const name of NAMES) {
  module.exports[name] = async ({ resolveVariable } = {}) => {
    const value = load()[name];
    if (value === undefined) throw new Error(`lib/deploy/stack.ts stackConfig() returned no '${name}'`);
    const text = JSON.stringify(value);
    if (!text.includes(SECRET_PLACEHOLDER)) return value;
    if (!resolveVariable) throw new Error(`'${name}' names the approval link secret, but the framework gave no resolveVariable`);
    const parameter = await resolveVariable('self:custom.approval.linkSecretParameter');
    return JSON.parse(text.split(SECRET_PLACEHOLDER).join(String(parameter)));
  };
}
