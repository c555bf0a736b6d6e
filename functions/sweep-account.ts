/** One account × region of "Sweep the organization": the engine with the member account's role. */
import '../lib/resources/index.ts'; // every resource module: this function runs any policy
import type { Context } from 'aws-lambda';
import { lambdaDeps } from '../lib/lambda/deps.ts';
import { withDefaults } from '../lib/lambda/powertools.ts';
import { sweepAccount } from '../lib/org/lambda.ts';

export const handler = withDefaults(async (event: unknown, context: Context) => sweepAccount(event, context, await lambdaDeps({}, context)));
