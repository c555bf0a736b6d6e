/** "Apply the fix": applies the approved, not opted-out changes through the engine's applyOne. */
import '../lib/resources/index.ts'; // every resource module: an approved plan may name any
import { withDefaults } from '../lib/lambda/powertools.ts';
import { engineForApproval } from '../lib/lambda/deps.ts';
import { stepHandler, workflowDeps } from '../lib/approval/lambda.ts';
import { ssmSecret } from '../lib/approval/secret.ts';

// The link secret: Apply verifies the seal "Ask the approvers" put on what was approved (lib/approval/seal.ts).
export const handler = withDefaults(stepHandler(['apply'], () => workflowDeps({ engine: engineForApproval, secret: ssmSecret() })));
