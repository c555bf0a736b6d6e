/** CloudWatch alarm state changes: the policies whose `alarm` names the alarm, on the resources in its dimensions. */
import '../lib/resources/index.ts'; // every resource module: this function runs any policy
import type { Context } from 'aws-lambda';
import { withDefaults } from '../lib/lambda/powertools.ts';
import { runAlarmTrigger } from '../lib/lambda/triggers.ts';

export const handler = withDefaults(async (event: unknown, context: Context) => runAlarmTrigger(event, context));
