/** The sandbox's Systems Manager GetParameters (lib/sandbox/services/ssm.ts): AWS's shape and rules. */
import { GetParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { describe, expect, it } from 'vitest';
import { AwsClients } from '../../../lib/aws/clients.ts';
import { putSandboxParameter } from '../../../lib/sandbox/services/ssm.ts';
import { SANDBOX_ACCOUNT } from '../../../lib/sandbox/sandbox.ts';
import { emptySandbox } from '../../helpers.ts';

function ssm() {
  const sandbox = emptySandbox();
  const clients = new AwsClients({ account: SANDBOX_ACCOUNT, allowWrites: false, interceptor: sandbox, writePacing: false, clientConfig: { maxAttempts: 1 } });
  return { sandbox, client: clients.get(SSMClient, 'us-east-1') };
}

describe('sandbox Systems Manager GetParameters', () => {
  it('lists a name that does not exist in InvalidParameters, not as an error, and answers the others in alphabetical order', async () => {
    // Prepare
    const { sandbox, client } = ssm();
    putSandboxParameter(sandbox, sandbox.account(SANDBOX_ACCOUNT), 'us-east-1', '/team/web/ami', 'ami-0c0ffee00000be1d1');

    // Act
    const out = await client.send(new GetParametersCommand({ Names: ['/team/web/ami', '/nope', '/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base'] }));

    // Assess
    expect(out.Parameters!.map((p) => [p.Name, p.Value, p.DataType])).toEqual([
      ['/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base', 'ami-0c0ffee0000057d01', 'aws:ec2:image'],
      ['/team/web/ami', 'ami-0c0ffee00000be1d1', 'aws:ec2:image'],
    ]);
    expect(out.InvalidParameters).toEqual(['/nope']);
  });

  it('answers a name:version with the bare Name and the Selector, and another version as invalid', async () => {
    // Prepare
    const { sandbox, client } = ssm();
    putSandboxParameter(sandbox, sandbox.account(SANDBOX_ACCOUNT), 'us-east-1', '/team/web/ami', 'ami-0c0ffee00000be1d1');

    // Act
    const out = await client.send(new GetParametersCommand({ Names: ['/team/web/ami:1', '/team/web/ami:7'] }));

    // Assess
    expect(out.Parameters!.map((p) => [p.Name, p.Selector, p.Version])).toEqual([['/team/web/ami', ':1', 1]]);
    expect(out.InvalidParameters).toEqual(['/team/web/ami:7']);
  });

  it('refuses more than 10 names in one call with ValidationException', async () => {
    // Prepare
    const { client } = ssm();

    // Act
    const error = await client.send(new GetParametersCommand({ Names: Array.from({ length: 11 }, (_, i) => `/p${i}`) })).catch((e: Error) => e);

    // Assess
    expect((error as Error).name).toBe('ValidationException');
    expect((error as Error).message).toContain('less than or equal to 10');
  });
});
