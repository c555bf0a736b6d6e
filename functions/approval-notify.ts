/** "Tell the approvers what happened". */
import { withDefaults } from '../lib/lambda/powertools.ts';
import { stepHandler, workflowDeps } from '../lib/approval/lambda.ts';
import { sesMailer } from '../lib/approval/ses.ts';

export const handler = withDefaults(stepHandler(['notify'], () => workflowDeps({ mailer: sesMailer })));
