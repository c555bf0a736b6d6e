/**
 * Sandbox Elastic Beanstalk (awsQuery, XML on the wire): environments and the resources they own,
 * read-only as lib/ownership uses them (confirming that an instance or Auto Scaling group tagged
 * elasticbeanstalk:environment-name really is the environment's). DescribeEnvironmentResources
 * needs EnvironmentId or EnvironmentName (MissingParameter otherwise); an unknown environment is
 * InvalidParameterValue, as AWS answers it.
 */
import { awsError, type AccountState, type Sandbox, type SandboxService } from '../sandbox.ts';

export interface SandboxBeanstalkEnvironment {
  id: string;
  name: string;
  application: string;
  autoScalingGroups: string[];
  instances: string[];
  status: 'Ready' | 'Updating';
}

export interface BeanstalkState {
  environments: Record<string, SandboxBeanstalkEnvironment>;
}

export const beanstalkState = (sandbox: Sandbox, account: AccountState, region: string) =>
  sandbox.regional<BeanstalkState>(account, region, 'elasticbeanstalk', () => ({ environments: {} }));

export function addEnvironment(sandbox: Sandbox, accountId: string, region: string, env: Omit<SandboxBeanstalkEnvironment, 'id' | 'status'>) {
  const state = beanstalkState(sandbox, sandbox.account(accountId), region);
  state.environments[env.name] = { ...env, id: `e-${sandbox.mintId('e').slice(2).slice(-10)}`, status: 'Ready' };
}

export const elasticBeanstalkService: SandboxService = {
  id: 'elasticbeanstalk',
  operations: {
    DescribeEnvironmentResources(input, { sandbox, account, region }) {
      if (!input.EnvironmentId && !input.EnvironmentName) throw awsError('MissingParameter', 'You must specify either EnvironmentId or EnvironmentName.', 400);
      const envs = Object.values(beanstalkState(sandbox, account, region).environments);
      const env = envs.find((e) => (input.EnvironmentId ? e.id === input.EnvironmentId : e.name === input.EnvironmentName));
      if (!env) throw awsError('InvalidParameterValue', input.EnvironmentId ? `No Environment found for EnvironmentId = '${input.EnvironmentId}'.` : `No Environment found for EnvironmentName = '${input.EnvironmentName}'.`, 400);
      return {
        EnvironmentResources: {
          EnvironmentName: env.name,
          AutoScalingGroups: env.autoScalingGroups.map((Name) => ({ Name })),
          Instances: env.instances.map((Id) => ({ Id })),
          LaunchConfigurations: [],
          LaunchTemplates: [],
          LoadBalancers: [],
          Triggers: [],
          Queues: [],
        },
      };
    },
  },
};
