/** "Verify": re-reads every changed resource. */
import { withDefaults } from '../lib/lambda/powertools.ts';
import { stepHandler, workflowDeps } from '../lib/approval/lambda.ts';

export const handler = withDefaults(stepHandler(['verify'], () => workflowDeps({ engine: true })));
