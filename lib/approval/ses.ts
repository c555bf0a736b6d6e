/** The approval mail through SES v2, for the functions that send it (approval-ask, approval-notify): only they bundle the SES client. */
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SesMailer } from './email.ts';
import { env, type OwnClient } from './lambda.ts';

export const sesMailer = (client: OwnClient) => new SesMailer(env('TRIMTAB_APPROVAL_MAIL_FROM'), client(SESv2Client));
