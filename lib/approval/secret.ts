/**
 * The approval functions' environment and link secret. Apart from lambda.ts: only the functions
 * that sign or verify links (approval-ask, approval-page) pass `ssmSecret()` in, so only they
 * bundle the SSM client (the record and notify roles grant no ssm:GetParameter).
 */
import { getParameter } from '@aws-lambda-powertools/parameters/ssm';
import { TrimtabError } from '../util/errors.ts';
import { env } from './page-lambda.ts';

/** The link secret from SSM Parameter Store (SecureString), cached by Powertools for 5 minutes. */
export const ssmSecret = (name = env('TRIMTAB_APPROVAL_SECRET_PARAM')) => async () => {
  const value = await getParameter(name, { decrypt: true, maxAge: 300 });
  if (!value) throw new TrimtabError(`The SSM parameter ${name} (the approval link secret) is empty or missing.`);
  return value;
};

