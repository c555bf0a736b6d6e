/**
 * Elastic Beanstalk as an owner (docs/ownership.md, "Through an Elastic Beanstalk environment"):
 * an environment owns its Auto Scaling group's sizes and its instances' type as option settings.
 * A via-owner change is one option setting sent with UpdateEnvironment, never a write to the group.
 *
 * Order: DescribeEnvironments (the environment exists and is Ready), DescribeEnvironmentResources
 * (it lists this Auto Scaling group: the elasticbeanstalk:environment-name tag is only a claim),
 * DescribeConfigurationSettings (the deployed value is the one the finding saw, no draft is being
 * deployed), UpdateEnvironment with exactly that option setting, DescribeEnvironments until Ready,
 * verify: the deployed value is the new one and the health Green. Undo: the previous value, the same way.
 */
import {
  DescribeConfigurationSettingsCommand,
  DescribeEnvironmentResourcesCommand,
  DescribeEnvironmentsCommand,
  ElasticBeanstalkClient,
  UpdateEnvironmentCommand,
} from '@aws-sdk/client-elastic-beanstalk';
import type { ApplyEnv, AppliedChange, RegionContext, Verification } from '../engine/types.ts';
import { pollUntilDeadline } from '../aws/wait.ts';
import { ownerStepLog as stepLog } from './steps.ts';
import { ProtectedResourceError, TrimtabError } from '../util/errors.ts';
import { settingName, type BeanstalkSetting } from './properties.ts';

export interface BeanstalkVia {
  kind: 'elastic-beanstalk';
  environment: string;
  /** The environment's application (DescribeConfigurationSettings needs it); read from DescribeEnvironments before approval. */
  application: string;
  /** The Auto Scaling group (or instance) the finding names; the environment must list it. */
  resourceId: string;
  resourceKind: 'asg' | 'instance';
  setting: BeanstalkSetting;
}

const eb = (ctx: Pick<RegionContext, 'clients' | 'region'>) => ctx.clients.get(ElasticBeanstalkClient, ctx.region);

/** Beanstalk's MinSize and MaxSize are 1 to 10000 (Developer Guide, aws:autoscaling:asg). */
const SIZE_RANGE = { min: 1, max: 10_000 };
/** An environment update normally takes minutes; past this the action fails (the update itself goes on in Beanstalk). */
export const ENVIRONMENT_WAIT_MS = 30 * 60_000;
const POLL_MS = 15_000;
export const BEANSTALK_STEPS = { sent: 'beanstalk-update-sent' } as const;

export async function environmentOf(ctx: Pick<RegionContext, 'clients' | 'region'>, name: string) {
  const out = await eb(ctx).send(new DescribeEnvironmentsCommand({ EnvironmentNames: [name] }));
  return out.Environments?.find((e) => e.EnvironmentName === name && e.Status !== 'Terminated');
}

/** The deployed value of one option setting, and whether a draft (an update being deployed, or one that failed) exists. */
export async function settingOf(ctx: Pick<RegionContext, 'clients' | 'region'>, application: string, environment: string, s: Pick<BeanstalkSetting, 'namespace' | 'option'>) {
  const out = await eb(ctx).send(new DescribeConfigurationSettingsCommand({ ApplicationName: application, EnvironmentName: environment }));
  const sets = out.ConfigurationSettings ?? [];
  const deployed = sets.find((c) => c.DeploymentStatus === 'deployed') ?? (sets.length === 1 ? sets[0] : undefined);
  const value = deployed?.OptionSettings?.find((o) => o.Namespace === s.namespace && o.OptionName === s.option && !o.ResourceName)?.Value;
  const draft = sets.find((c) => c.DeploymentStatus === 'pending' || c.DeploymentStatus === 'failed');
  const draftValue = draft?.OptionSettings?.find((o) => o.Namespace === s.namespace && o.OptionName === s.option && !o.ResourceName)?.Value;
  const rolling = deployed?.OptionSettings?.find((o) => o.Namespace === ROLLING_UPDATE.namespace && o.OptionName === ROLLING_UPDATE.option && !o.ResourceName)?.Value;
  return { value, draft: draft?.DeploymentStatus, draftValue, rollingUpdates: rolling === 'true' };
}

/**
 * A change of the instance type terminates and replaces every instance of the environment; only with
 * rolling (or immutable) updates enabled does Beanstalk do it in batches, otherwise all at once
 * (Developer Guide, "Configuration changes"; aws:autoscaling:updatepolicy:rollingupdate RollingUpdateEnabled).
 */
const ROLLING_UPDATE = { namespace: 'aws:autoscaling:updatepolicy:rollingupdate', option: 'RollingUpdateEnabled' } as const;
const REPLACES_INSTANCES = (s: Pick<BeanstalkSetting, 'namespace' | 'option'>) => (s.namespace === 'aws:ec2:instances' && s.option === 'InstanceTypes') || (s.namespace === 'aws:autoscaling:launchconfiguration' && s.option === 'InstanceType');

/** Why the setting cannot be sent as it is (the value's own rules), or undefined. */
export function settingValueProblem(s: BeanstalkSetting): string | undefined {
  if (s.namespace === 'aws:autoscaling:asg' && (s.option === 'MinSize' || s.option === 'MaxSize')) {
    const n = Number(s.to);
    if (!Number.isInteger(n) || n < SIZE_RANGE.min || n > SIZE_RANGE.max) return `Beanstalk's ${settingName(s)} is ${SIZE_RANGE.min} to ${SIZE_RANGE.max}, not ${s.to}`;
  }
  return undefined;
}

/**
 * Read-only, before approval and again before the write: the environment exists and is Ready, it
 * lists the resource (DescribeEnvironmentResources), and the deployed setting is the value the
 * finding saw. Answers the application name, or a reason (a string) why not.
 */
export async function beanstalkProblem(ctx: Pick<RegionContext, 'clients' | 'region'>, via: Omit<BeanstalkVia, 'application'> & { application?: string }): Promise<{ application: string } | string> {
  const valueProblem = settingValueProblem(via.setting);
  if (valueProblem) return valueProblem;
  if (via.resourceKind === 'instance') return `an instance of environment ${via.environment} gets its type from the environment's ${settingName(via.setting)}, which changes every instance of the environment: change it there if that is meant`;
  const env = await environmentOf(ctx, via.environment);
  if (!env) return `Elastic Beanstalk has no environment ${via.environment}: the owner its tag claims is not confirmed`;
  if (via.application && env.ApplicationName !== via.application) return `environment ${via.environment} is of application ${env.ApplicationName} now, not ${via.application}`;
  const resources = (await eb(ctx).send(new DescribeEnvironmentResourcesCommand({ EnvironmentName: via.environment }))).EnvironmentResources;
  if (!resources?.AutoScalingGroups?.some((g) => g.Name === via.resourceId)) return `environment ${via.environment} does not own Auto Scaling group ${via.resourceId} according to Elastic Beanstalk (DescribeEnvironmentResources)`;
  if (env.Status !== 'Ready') return `environment ${via.environment} is ${env.Status}, not Ready (UpdateEnvironment needs Ready): the next run tries again`;
  const { value, draft, rollingUpdates } = await settingOf(ctx, env.ApplicationName!, via.environment, via.setting);
  if (draft) return `environment ${via.environment} has a ${draft} configuration draft: an update is being deployed or failed; resolve it first`;
  if (value === undefined) return `environment ${via.environment} has no ${settingName(via.setting)} setting`;
  if (value !== via.setting.from) {
    const types = via.setting.option === 'InstanceTypes' && value.includes(',') ? ` (a list of types: trimtab changes a single type only)` : '';
    return `environment ${via.environment} has ${settingName(via.setting)} ${JSON.stringify(value)}, not ${JSON.stringify(via.setting.from)} as the finding saw${types}`;
  }
  if (REPLACES_INSTANCES(via.setting) && !rollingUpdates) return `changing ${settingName(via.setting)} terminates and replaces every instance of environment ${via.environment}, and its ${ROLLING_UPDATE.namespace} ${ROLLING_UPDATE.option} is not true: Elastic Beanstalk would replace them all at once (downtime); enable rolling or immutable updates first`;
  return { application: env.ApplicationName! };
}

/**
 * UpdateEnvironment with exactly the one option setting, then waits for Ready. Steps (ApplyEnv):
 * `beanstalk-update-sent` is recorded right after UpdateEnvironment answers; a resumed apply waits
 * from there and never sends it again. With an env, the wait is handed back as `resumeAt`.
 */
export async function applyBeanstalk(ctx: RegionContext, via: BeanstalkVia, setting: BeanstalkSetting, env?: ApplyEnv): Promise<AppliedChange> {
  const steps = stepLog(env, ctx.clock);
  const where = `Elastic Beanstalk environment ${via.environment}: ${settingName(setting)} ${setting.from} → ${setting.to}`;
  let sent = steps.stepOf(BEANSTALK_STEPS.sent);
  if (!sent) {
    const problem = await beanstalkProblem(ctx, { ...via, setting });
    if (typeof problem === 'string') {
      // Retried after the update was sent but before its step was recorded: already done.
      const now = await settingOf(ctx, via.application, via.environment, setting).catch(() => undefined);
      if (now?.value === setting.to && !now.draft) return { before: { [settingName(setting)]: setting.from }, after: { environment: via.environment, [settingName(setting)]: setting.to }, detail: `${where} (already set)` };
      // An update to exactly this value is deploying: most likely this action's own, sent before its
      // step was recorded. Not "nothing was changed": fail the action saying so, and send nothing.
      if (now?.draft === 'pending' && now.draftValue === setting.to) throw new TrimtabError(`Elastic Beanstalk environment ${via.environment} is already deploying ${settingName(setting)} ${setting.to} (an update sent before this apply recorded it, or someone else's): nothing sent again; check the environment's events`);
      throw new ProtectedResourceError(`not changed through Elastic Beanstalk: ${problem}; nothing was changed`);
    }
    const before = (await environmentOf(ctx, via.environment))?.DateUpdated?.toISOString() ?? 'never';
    await eb(ctx).send(new UpdateEnvironmentCommand({ EnvironmentName: via.environment, OptionSettings: [{ Namespace: setting.namespace, OptionName: setting.option, Value: setting.to }] }));
    await steps.record(BEANSTALK_STEPS.sent, { environment: via.environment, namespace: setting.namespace, option: setting.option, from: setting.from, to: setting.to, dateUpdatedBefore: before });
    sent = steps.stepOf(BEANSTALK_STEPS.sent)!;
  }
  const polled = await pollUntilDeadline({
    clock: ctx.clock,
    deadline: Date.parse(sent.at) + ENVIRONMENT_WAIT_MS,
    pollMs: POLL_MS,
    ...(env ? { budget: env } : {}),
    check: async () => {
      const e = await environmentOf(ctx, via.environment);
      if (!e) throw new TrimtabError(`environment ${via.environment} disappeared while its update was deploying`);
      if (e.Status !== 'Ready') return undefined;
      const { value, draft } = await settingOf(ctx, via.application, via.environment, setting);
      if (value === setting.to && !draft) return e;
      // Ready again after an update that did not keep the value: Beanstalk rolled it back (a read still showing the old Ready is waited out).
      if (draft === 'failed' || (e.DateUpdated && e.DateUpdated.toISOString() !== (sent!.state?.dateUpdatedBefore as string | undefined) && !draft)) {
        throw new TrimtabError(`environment ${via.environment} is Ready but ${settingName(setting)} is ${JSON.stringify(value)}${draft ? ` (draft ${draft})` : ''}, not ${JSON.stringify(setting.to)}: Elastic Beanstalk did not deploy the change (see the environment's events)`);
      }
      return undefined;
    },
    timeout: () => new TrimtabError(`environment ${via.environment} is not Ready ${ENVIRONMENT_WAIT_MS / 60_000} min after UpdateEnvironment (${settingName(setting)} ${setting.to}); the update goes on in Elastic Beanstalk`),
  });
  if ('resumeAt' in polled) return { after: { environment: via.environment, waitingFor: 'Ready' }, resumeAt: polled.resumeAt, detail: `${where}: UpdateEnvironment sent; waiting for the environment to be Ready` };
  return { before: { [settingName(setting)]: setting.from }, after: { environment: via.environment, [settingName(setting)]: setting.to, health: polled.value.Health }, detail: where };
}

/** Verify: the deployed setting is the new value and the environment is Ready and Green. */
export async function verifyBeanstalk(ctx: RegionContext, via: BeanstalkVia): Promise<Verification> {
  const e = await environmentOf(ctx, via.environment);
  const { value } = await settingOf(ctx, via.application, via.environment, via.setting);
  const ok = value === via.setting.to && e?.Status === 'Ready' && e.Health === 'Green';
  // The new value is deployed but the health is not Green (Grey or Yellow while replaced instances
  // settle, or Red): the change is in place, so the action stays applied and undoable, not failed.
  if (!ok && value === via.setting.to && e?.Status === 'Ready') return { ok: false, pending: true, detail: `environment ${via.environment} is Ready with ${settingName(via.setting)} ${JSON.stringify(value)} but its health is ${e.Health ?? '?'}, not Green: the change is in place (undo with trimtab undo if the health does not recover); re-verify once the environment is Green` };
  return { ok, detail: `environment ${via.environment} is ${e?.Status ?? 'gone'} / ${e?.Health ?? '?'} with ${settingName(via.setting)} ${JSON.stringify(value)}${ok ? '' : ` (expected Ready / Green with ${JSON.stringify(via.setting.to)})`}` };
}
