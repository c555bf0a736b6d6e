/** The approval page (HTTP API): GET shows the plan and changes nothing; POST with a signed link decides. */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { withDefaults } from '../lib/lambda/powertools.ts';
import { approvalPageHandler, pageDeps } from '../lib/approval/page-lambda.ts';
import { ssmSecret } from '../lib/approval/secret.ts';

export const handler = withDefaults(async (event: APIGatewayProxyEventV2) => approvalPageHandler(event, () => pageDeps(ssmSecret())));
