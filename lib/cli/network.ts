/** Network failures reaching AWS, said the same way by `doctor` and by every command that calls AWS. */
import { errorMessage } from '../util/errors.ts';

const NETWORK_ERRORS = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'TimeoutError', 'RequestTimeout']);

export function isNetworkError(error: unknown): boolean {
  const e = error as { code?: string; name?: string; cause?: { code?: string }; $metadata?: { httpStatusCode?: number } };
  return NETWORK_ERRORS.has(e?.code ?? '') || NETWORK_ERRORS.has(e?.name ?? '') || NETWORK_ERRORS.has(e?.cause?.code ?? '') || /timed? ?out|socket hang up|ECONNREFUSED|ENOTFOUND/i.test(errorMessage(error));
}

export const endpointOf = (service: string, region: string, env: NodeJS.ProcessEnv) => env[`AWS_ENDPOINT_URL_${service.toUpperCase()}`] ?? env.AWS_ENDPOINT_URL ?? `https://${service}.${region}.amazonaws.com`;
