/**
 * Sandbox Elastic Beanstalk (awsQuery, XML on the wire): environments, the resources they own and
 * the option settings lib/ownership reads and changes (docs/ownership.md, "Through an Elastic
 * Beanstalk environment").
 *
 * - DescribeEnvironmentResources needs EnvironmentId or EnvironmentName (MissingRequiredParameter
 *   otherwise, botocore DescribeEnvironmentResourcesMessage); an unknown environment is InvalidParameterValue, as AWS answers it.
 * - DescribeEnvironments: Status (Ready, Updating, …) and Health (Green, Yellow, Red, Grey).
 * - DescribeConfigurationSettings: ApplicationName is required; exactly one of EnvironmentName or
 *   TemplateName (MissingRequiredParameter / InvalidParameterCombination). While an update is
 *   deploying it answers two descriptions: the deployed one and the draft (`pending`), as the
 *   UpdateEnvironment .d.ts says.
 * - UpdateEnvironment: only a Ready environment ("Environment named X is in an invalid state for
 *   this operation. Must be Ready.", InvalidParameterValue); option values are validated
 *   (aws:autoscaling:asg MinSize / MaxSize 1 to 10000 and MinSize <= MaxSize,
 *   ConfigurationValidationException; the exact code per rule: belief). The environment is
 *   Updating for an AWS-like three minutes, then Ready with the settings applied to its Auto
 *   Scaling group (sizes, instance type).
 */
import { awsError, type AccountState, type Sandbox, type SandboxService } from '../sandbox.ts';
import { autoscalingState } from './autoscaling.ts';

export interface SandboxBeanstalkEnvironment {
  id: string;
  name: string;
  application: string;
  autoScalingGroups: string[];
  instances: string[];
  status: 'Ready' | 'Updating' | 'Launching' | 'Terminating' | 'Terminated';
  health: 'Green' | 'Yellow' | 'Red' | 'Grey';
  /** Option settings by `namespace|OptionName`. */
  options: Record<string, string>;
  updatedAt: string;
  /** An update being deployed: the draft settings and when it is done. */
  pending?: { options: Record<string, string>; doneAt: string };
}

export interface BeanstalkState {
  environments: Record<string, SandboxBeanstalkEnvironment>;
}

export const beanstalkState = (sandbox: Sandbox, account: AccountState, region: string) =>
  sandbox.regional<BeanstalkState>(account, region, 'elasticbeanstalk', () => ({ environments: {} }));

/** How long an option-settings update keeps the environment Updating (AWS: minutes). */
export const ENVIRONMENT_UPDATE_MS = 180_000;

const optionKey = (namespace: string, name: string) => `${namespace}|${name}`;

export function addEnvironment(sandbox: Sandbox, accountId: string, region: string, env: Omit<SandboxBeanstalkEnvironment, 'id' | 'status' | 'health' | 'options' | 'updatedAt'> & { options?: Record<string, string> }) {
  const state = beanstalkState(sandbox, sandbox.account(accountId), region);
  state.environments[env.name] = { ...env, options: env.options ?? {}, id: `e-${sandbox.mintId('e').slice(2).slice(-10)}`, status: 'Ready', health: 'Green', updatedAt: sandbox.now().toISOString() };
  return state.environments[env.name];
}

/** Writes the settings that touch the environment's Auto Scaling group onto the group, as Beanstalk's stack update does. */
function applyToGroups(sandbox: Sandbox, account: AccountState, region: string, env: SandboxBeanstalkEnvironment, options: Record<string, string>) {
  for (const name of env.autoScalingGroups) {
    const g = autoscalingState(sandbox, account, region).groups[name];
    if (!g) continue;
    if (options[optionKey('aws:autoscaling:asg', 'MinSize')]) g.minSize = Number(options[optionKey('aws:autoscaling:asg', 'MinSize')]);
    if (options[optionKey('aws:autoscaling:asg', 'MaxSize')]) g.maxSize = Number(options[optionKey('aws:autoscaling:asg', 'MaxSize')]);
    g.desiredCapacity = Math.min(Math.max(g.desiredCapacity, g.minSize), g.maxSize);
    const types = options[optionKey('aws:ec2:instances', 'InstanceTypes')] ?? options[optionKey('aws:autoscaling:launchconfiguration', 'InstanceType')];
    if (types) g.instanceType = types.split(',')[0].trim();
  }
}

function settle(sandbox: Sandbox, account: AccountState, region: string, env: SandboxBeanstalkEnvironment, now: Date) {
  if (!env.pending || Date.parse(env.pending.doneAt) > now.getTime()) return;
  env.options = { ...env.options, ...env.pending.options };
  applyToGroups(sandbox, account, region, env, env.options);
  env.updatedAt = env.pending.doneAt;
  delete env.pending;
  env.status = 'Ready';
}

function findEnv(sandbox: Sandbox, account: AccountState, region: string, input: { EnvironmentId?: string; EnvironmentName?: string }, now: Date) {
  const env = Object.values(beanstalkState(sandbox, account, region).environments).find((e) => (input.EnvironmentId ? e.id === input.EnvironmentId : e.name === input.EnvironmentName));
  if (!env || env.status === 'Terminated') throw awsError('InvalidParameterValue', input.EnvironmentId ? `No Environment found for EnvironmentId = '${input.EnvironmentId}'.` : `No Environment found for EnvironmentName = '${input.EnvironmentName}'.`, 400);
  settle(sandbox, account, region, env, now);
  return env;
}

const settingsList = (options: Record<string, string>) => Object.entries(options).map(([k, Value]) => {
  const [Namespace, OptionName] = k.split('|');
  return { Namespace, OptionName, Value };
});

/** AWS's validation of the option values trimtab may send (Elastic Beanstalk Developer Guide, "General options for all environments"). */
function validate(options: Record<string, string>) {
  for (const name of ['MinSize', 'MaxSize']) {
    const value = options[optionKey('aws:autoscaling:asg', name)];
    if (value === undefined) continue;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > 10_000) throw awsError('ConfigurationValidationException', `Configuration validation exception: Invalid option value: '${value}' (Namespace: 'aws:autoscaling:asg', OptionName: '${name}'): Value is ${n < 1 ? 'less than minimum allowed value: 1' : 'not an integer from 1 to 10000'}`, 400);
  }
  const min = Number(options[optionKey('aws:autoscaling:asg', 'MinSize')]);
  const max = Number(options[optionKey('aws:autoscaling:asg', 'MaxSize')]);
  if (min > max) throw awsError('ConfigurationValidationException', `Configuration validation exception: Invalid option specification (Namespace: 'aws:autoscaling:asg', OptionName: 'MinSize'): MinSize (${min}) must be less than or equal to MaxSize (${max}).`, 400);
  const types = options[optionKey('aws:ec2:instances', 'InstanceTypes')];
  if (types !== undefined && !types.split(',').every((t) => /^[a-z][a-z0-9-]*\.[a-z0-9]+$/.test(t.trim()))) throw awsError('ConfigurationValidationException', `Configuration validation exception: Invalid option value: '${types}' (Namespace: 'aws:ec2:instances', OptionName: 'InstanceTypes')`, 400);
}

export const elasticBeanstalkService: SandboxService = {
  id: 'elasticbeanstalk',
  operations: {
    DescribeEnvironmentResources(input, { sandbox, account, region, now }) {
      if (!input.EnvironmentId && !input.EnvironmentName) throw awsError('MissingRequiredParameter', 'You must specify either EnvironmentId or EnvironmentName.', 400);
      const env = findEnv(sandbox, account, region, input, now);
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

    DescribeEnvironments(input, { sandbox, account, region, now }) {
      const names: string[] | undefined = input.EnvironmentNames;
      const ids: string[] | undefined = input.EnvironmentIds;
      const envs = Object.values(beanstalkState(sandbox, account, region).environments)
        .filter((e) => (!names?.length || names.includes(e.name)) && (!ids?.length || ids.includes(e.id)) && (!input.ApplicationName || e.application === input.ApplicationName))
        .filter((e) => e.status !== 'Terminated' || input.IncludeDeleted);
      for (const e of envs) settle(sandbox, account, region, e, now);
      return {
        Environments: envs.map((e) => ({
          EnvironmentName: e.name,
          EnvironmentId: e.id,
          ApplicationName: e.application,
          EnvironmentArn: `arn:aws:elasticbeanstalk:${region}:${account.id}:environment/${e.application}/${e.name}`,
          Status: e.status,
          Health: e.health,
          AbortableOperationInProgress: e.status === 'Updating',
          DateUpdated: new Date(e.updatedAt),
        })),
      };
    },

    DescribeConfigurationSettings(input, { sandbox, account, region, now }) {
      if (!input.ApplicationName) throw awsError('MissingRequiredParameter', 'ApplicationName is required.', 400);
      if (input.TemplateName && input.EnvironmentName) throw awsError('InvalidParameterCombination', 'You cannot specify both an environment and a configuration template.', 400);
      if (!input.EnvironmentName) throw awsError('MissingRequiredParameter', 'You must specify either EnvironmentName or TemplateName.', 400);
      const env = findEnv(sandbox, account, region, input, now);
      if (env.application !== input.ApplicationName) throw awsError('InvalidParameterValue', `No Environment found for EnvironmentName = '${input.EnvironmentName}'.`, 400);
      const description = (status: 'deployed' | 'pending', options: Record<string, string>) => ({ ApplicationName: env.application, EnvironmentName: env.name, DeploymentStatus: status, DateUpdated: new Date(env.updatedAt), OptionSettings: settingsList(options) });
      return { ConfigurationSettings: [description('deployed', env.options), ...(env.pending ? [description('pending', { ...env.options, ...env.pending.options })] : [])] };
    },

    UpdateEnvironment(input, { sandbox, account, region, now }) {
      if (!input.EnvironmentId && !input.EnvironmentName) throw awsError('MissingRequiredParameter', 'You must specify either EnvironmentId or EnvironmentName.', 400);
      const env = findEnv(sandbox, account, region, input, now);
      if (input.VersionLabel && (input.OptionSettings?.length || input.TemplateName)) throw awsError('InvalidParameterCombination', 'You cannot update the application version and the configuration in the same request.', 400);
      if (env.status !== 'Ready') throw awsError('InvalidParameterValue', `Environment named ${env.name} is in an invalid state for this operation. Must be Ready.`, 400);
      const changes: Record<string, string> = {};
      for (const s of (input.OptionSettings ?? []) as Array<{ Namespace: string; OptionName: string; Value: string }>) changes[optionKey(s.Namespace, s.OptionName)] = s.Value;
      validate({ ...env.options, ...changes });
      env.pending = { options: changes, doneAt: new Date(now.getTime() + sandbox.duration(ENVIRONMENT_UPDATE_MS)).toISOString() };
      env.status = 'Updating';
      return { EnvironmentName: env.name, EnvironmentId: env.id, ApplicationName: env.application, Status: env.status, Health: env.health, DateUpdated: now };
    },
  },
};
