/** "Record the plan", "Record that it was not approved" and "Record the failure". */
import { withDefaults } from '../lib/lambda/powertools.ts';
import { stepHandler, workflowDeps } from '../lib/approval/lambda.ts';

export const handler = withDefaults(stepHandler(['record', 'not-approved', 'failed'], () => workflowDeps()));
