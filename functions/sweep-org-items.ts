/** "Sweep the organization": lists the account × region items before the Map, and summarizes after it. */
import type { Context } from 'aws-lambda';
import { withDefaults } from '../lib/lambda/powertools.ts';
import { orgItemsStep } from '../lib/org/lambda.ts';

export const handler = withDefaults(async (event: unknown, context: Context) => orgItemsStep(event, context));
