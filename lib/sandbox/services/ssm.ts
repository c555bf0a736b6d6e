/**
 * Sandbox Systems Manager Parameter Store, the minimum an Auto Scaling launch template's
 * `resolve:ssm:<parameter>` image id needs (lib/resources/asg/platform.ts): GetParameters only.
 *
 * What it enforces (client-ssm GetParametersCommand.d.ts; Systems Manager API reference
 * "GetParameters"):
 * - Names: 1 to 10 names a call; more or none: ValidationException (belief on the message);
 * - a name that does not exist is not an error: it is listed in InvalidParameters and the call
 *   answers the others (Parameters, in alphabetical order of name);
 * - `name:version` and `name:label` selectors: the answer's Name is the bare name and `Selector`
 *   the `:version` / `:label` asked (only versions are modelled);
 * - a SecureString answers its encrypted value unless WithDecryption is true (botocore GetParametersRequest.WithDecryption);
 * - access denied through the sandbox's faults (`ssm:GetParameters` → AccessDeniedException).
 * Public parameters (`/aws/service/...`, owned by AWS, readable by every account): the sandbox has
 * the two that name its public Windows and RHEL AMIs (lib/sandbox/services/ec2.ts), in every
 * account and region, below the account's own.
 */
import { awsError, type AccountState, type OperationEnv, type Sandbox, type SandboxService } from '../sandbox.ts';

export interface SandboxParameter {
  value: string;
  type: 'String' | 'StringList' | 'SecureString';
  /** 'text', or 'aws:ec2:image' for a parameter that holds an AMI id. */
  dataType: string;
  version: number;
  lastModified: string;
}

interface SsmState {
  parameters: Record<string, SandboxParameter>;
}

export const MAX_NAMES_PER_GET_PARAMETERS = 10;

/** AWS's public parameters the sandbox knows (the latest-AMI parameters of its public AMIs). */
export const PUBLIC_PARAMETERS: Record<string, SandboxParameter> = {
  '/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base': { value: 'ami-0c0ffee0000057d01', type: 'String', dataType: 'aws:ec2:image', version: 1, lastModified: '2025-10-01T00:00:00.000Z' },
  '/aws/service/rhel/9/x86_64/latest': { value: 'ami-0c0ffee00000be1d1', type: 'String', dataType: 'aws:ec2:image', version: 1, lastModified: '2025-10-01T00:00:00.000Z' },
};

const ssmState = (sandbox: Sandbox, account: AccountState, region: string) => sandbox.regional<SsmState>(account, region, 'ssm', () => ({ parameters: {} }));

/** Seeds (or overwrites, as a new version) a parameter, e.g. `/aws/service/ami-windows-latest/...` → an AMI id. */
export function putSandboxParameter(sandbox: Sandbox, account: AccountState, region: string, name: string, value: string, dataType = value.startsWith('ami-') ? 'aws:ec2:image' : 'text', type: SandboxParameter['type'] = 'String'): void {
  const state = ssmState(sandbox, account, region);
  const prior = state.parameters[name];
  state.parameters[name] = { value, type, dataType: type === 'SecureString' ? 'text' : dataType, version: (prior?.version ?? 0) + 1, lastModified: sandbox.now().toISOString() };
}

export const ssmService: SandboxService = {
  id: 'ssm',
  operations: {
    GetParameters(input: any, { sandbox, account, region }: OperationEnv) {
      const names: unknown = input.Names;
      if (!Array.isArray(names) || names.length < 1 || names.length > MAX_NAMES_PER_GET_PARAMETERS) {
        throw awsError('ValidationException', `1 validation error detected: Value at 'names' failed to satisfy constraint: Member must have length less than or equal to ${MAX_NAMES_PER_GET_PARAMETERS} and greater than or equal to 1`);
      }
      const state = ssmState(sandbox, account, region);
      const parameters: unknown[] = [];
      const invalid: string[] = [];
      for (const asked of names as string[]) {
        const m = /^(.*?)(:\d+)?$/.exec(String(asked))!;
        const name = m[1];
        const p = Object.hasOwn(state.parameters, name) ? state.parameters[name] : Object.hasOwn(PUBLIC_PARAMETERS, name) ? PUBLIC_PARAMETERS[name] : undefined;
        // Only the current version is kept: another version asked is not found.
        if (!p || (m[2] && Number(m[2].slice(1)) !== p.version)) {
          invalid.push(String(asked));
          continue;
        }
        parameters.push({
          Name: name,
          Type: p.type,
          // A SecureString without WithDecryption answers its encrypted value (base64 KMS ciphertext), not the text.
          Value: p.type === 'SecureString' && input.WithDecryption !== true ? `AQICAH${Buffer.from(p.value).toString('base64')}` : p.value,
          Version: p.version,
          ...(m[2] ? { Selector: m[2] } : {}),
          LastModifiedDate: new Date(p.lastModified),
          ARN: `arn:aws:ssm:${region}:${name.startsWith('/aws/') ? '' : account.id}:parameter${name.startsWith('/') ? '' : '/'}${name}`,
          DataType: p.dataType,
        });
      }
      parameters.sort((a: any, b: any) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
      return { Parameters: parameters, InvalidParameters: invalid };
    },
  },
};
