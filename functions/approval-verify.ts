/** "Verify": re-reads every changed resource. */
import '../lib/resources/index.ts'; // every resource module: an approved plan may name any
import { withDefaults } from '../lib/lambda/powertools.ts';
import { engineForVerify } from '../lib/lambda/read-only.ts';
import { stepHandler, workflowDeps } from '../lib/approval/lambda.ts';

export const handler = withDefaults(stepHandler(['verify'], () => workflowDeps({ engine: engineForVerify })));
