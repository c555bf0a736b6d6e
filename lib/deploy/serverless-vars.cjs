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
];
for (const name of NAMES) {
  module.exports[name] = async () => {
    const value = load()[name];
    if (value === undefined) throw new Error(`lib/deploy/stack.ts stackConfig() returned no '${name}'`);
    return value;
  };
}
