/** The scheduled sweep: runs the policies whose schedule fired, each in its own mode. */
import '../lib/resources/index.ts'; // every resource module: this function runs any policy
import type { Context } from 'aws-lambda';
import { withDefaults } from '../lib/lambda/powertools.ts';
import { runSweep } from '../lib/lambda/sweep.ts';

export const handler = withDefaults(async (event: unknown, context: Context) => runSweep(event, context));
