/** "Apply the fix": applies the approved, not opted-out changes through the engine's applyOne. */
import { withDefaults } from '../lib/lambda/powertools.ts';
import { stepHandler, workflowDeps } from '../lib/approval/lambda.ts';

export const handler = withDefaults(stepHandler(['apply'], () => workflowDeps({ engine: true })));
