/** "Ask the approvers": keeps the task token under the approval id and emails signed links. */
import { withDefaults } from '../lib/lambda/powertools.ts';
import { stepHandler, workflowDeps } from '../lib/approval/lambda.ts';
import { ssmSecret } from '../lib/approval/secret.ts';
import { sesMailer } from '../lib/approval/ses.ts';

export const handler = withDefaults(stepHandler(['ask'], () => workflowDeps({ secret: ssmSecret(), mailer: sesMailer })));
