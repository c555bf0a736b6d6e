/** Keeps the alarms that policies ask for (`alarm: { prefix, create }`), one per in-scope resource. */
import '../lib/resources/index.ts'; // every resource module: this function runs any policy
import type { Context } from 'aws-lambda';
import { withDefaults } from '../lib/lambda/powertools.ts';
import { runAlarmSync } from '../lib/lambda/alarm-sync.ts';

export const handler = withDefaults(async (event: unknown, context: Context) => runAlarmSync(event, context));
