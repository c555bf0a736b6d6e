/** Resource events (CloudTrail, EBS, Auto Scaling via EventBridge): the policies whose `event` pattern matches. */
import '../lib/resources/index.ts'; // every resource module: this function runs any policy
import type { Context } from 'aws-lambda';
import { withDefaults } from '../lib/lambda/powertools.ts';
import { runEventTrigger } from '../lib/lambda/triggers.ts';

export const handler = withDefaults(async (event: unknown, context: Context) => runEventTrigger(event, context));
