/**
 * Sandbox EC2, launch templates: CreateLaunchTemplate, CreateLaunchTemplateVersion (with
 * SourceVersion and ClientToken), DescribeLaunchTemplates (DefaultVersionNumber,
 * LatestVersionNumber), DescribeLaunchTemplateVersions, DeleteLaunchTemplateVersions,
 * DescribeInstanceTypeOfferings (availability zones; `notOffered` says which types a zone lacks). Merged into the ec2 service in
 * ./index.ts; state lives under its own regional key ('ec2-launch-templates').
 *
 * AWS semantics kept (EC2 API reference, CreateLaunchTemplateVersion / DescribeLaunchTemplateVersions):
 * - versions are numbered 1, 2, 3…; the first is the default; a new version becomes the latest
 *   but never the default by itself (ModifyLaunchTemplate sets the default);
 * - with SourceVersion, the new version inherits every parameter of that version that
 *   LaunchTemplateData does not set;
 * - the same ClientToken returns the version it created before (idempotency), not a new one;
 * - Versions may name numbers, `$Latest` and `$Default`;
 * - an unknown id is InvalidLaunchTemplateId.NotFound, an unknown name
 *   InvalidLaunchTemplateName.NotFoundException, an unknown version
 *   InvalidLaunchTemplateId.VersionNotFound; a taken name on create
 *   InvalidLaunchTemplateName.AlreadyExistsException; id and name together are
 *   InvalidParameterCombination.
 */
import { createHash } from 'node:crypto';
import { awsError, paginate, type AccountState, type OperationHandler, type Sandbox } from '../sandbox.ts';

export interface SandboxLaunchTemplateVersion {
  number: number;
  createdAt: string;
  description?: string;
  clientToken?: string;
  /** LaunchTemplateData as stored (InstanceType, ImageId, …). */
  data: Record<string, any>;
}

export interface SandboxLaunchTemplate {
  id: string;
  name: string;
  createdAt: string;
  defaultVersion: number;
  versions: SandboxLaunchTemplateVersion[];
}

export interface LaunchTemplatesState {
  templates: Record<string, SandboxLaunchTemplate>;
  /** Instance types NOT offered per Availability Zone (DescribeInstanceTypeOfferings); every type is offered everywhere else. */
  notOffered?: Record<string, string[]>;
}

/** Whether a type is offered in a zone of the sandbox region. */
export const offeredIn = (state: LaunchTemplatesState, type: string, zone: string) => !(state.notOffered?.[zone] ?? []).includes(type);

export const launchTemplatesState = (sandbox: Sandbox, account: AccountState, region: string) =>
  sandbox.regional<LaunchTemplatesState>(account, region, 'ec2-launch-templates', () => ({ templates: {} }));

export const launchTemplateId = (name: string) => `lt-${createHash('sha256').update(`lt:${name}`).digest('hex').slice(0, 17)}`;

const latestOf = (t: SandboxLaunchTemplate) => t.versions[t.versions.length - 1].number;

/** The template an input names by id or by name (not both). */
export function findTemplate(state: LaunchTemplatesState, input: { LaunchTemplateId?: string; LaunchTemplateName?: string }): SandboxLaunchTemplate {
  if (input.LaunchTemplateId && input.LaunchTemplateName) throw awsError('InvalidParameterCombination', 'Specify either the launch template ID or the launch template name, not both.');
  if (input.LaunchTemplateId) {
    const t = state.templates[input.LaunchTemplateId];
    if (!t) throw awsError('InvalidLaunchTemplateId.NotFound', `The specified launch template, with template ID ${input.LaunchTemplateId}, does not exist.`);
    return t;
  }
  if (input.LaunchTemplateName) {
    const t = Object.values(state.templates).find((x) => x.name === input.LaunchTemplateName);
    if (!t) throw awsError('InvalidLaunchTemplateName.NotFoundException', `The specified launch template, with template name ${input.LaunchTemplateName}, does not exist.`);
    return t;
  }
  throw awsError('MissingParameter', 'The request must contain the parameter LaunchTemplateId or LaunchTemplateName.');
}

/** One version by number, `$Latest` or `$Default`. */
export function findVersion(t: SandboxLaunchTemplate, version: string | number | undefined): SandboxLaunchTemplateVersion {
  const wanted = version === undefined || version === '$Default' ? t.defaultVersion : version === '$Latest' ? latestOf(t) : Number(version);
  const found = t.versions.find((v) => v.number === wanted);
  if (!found) throw awsError('InvalidLaunchTemplateId.VersionNotFound', `Could not find launch template version ${version} for template ${t.id}.`);
  return found;
}

/** Adds a template with its first version (used by CreateLaunchTemplate and the seeds). */
export function putLaunchTemplate(state: LaunchTemplatesState, name: string, data: Record<string, any>, createdAt: string, description?: string): SandboxLaunchTemplate {
  if (Object.values(state.templates).some((t) => t.name === name)) {
    throw awsError('InvalidLaunchTemplateName.AlreadyExistsException', `Launch template name already in use.`);
  }
  const t: SandboxLaunchTemplate = { id: launchTemplateId(name), name, createdAt, defaultVersion: 1, versions: [{ number: 1, createdAt, description, data: structuredClone(data) }] };
  state.templates[t.id] = t;
  return t;
}

const describeTemplate = (t: SandboxLaunchTemplate) => ({
  LaunchTemplateId: t.id,
  LaunchTemplateName: t.name,
  CreateTime: new Date(t.createdAt),
  CreatedBy: 'arn:aws:iam::123456789012:root',
  DefaultVersionNumber: t.defaultVersion,
  LatestVersionNumber: latestOf(t),
});

const describeVersion = (t: SandboxLaunchTemplate, v: SandboxLaunchTemplateVersion) => ({
  LaunchTemplateId: t.id,
  LaunchTemplateName: t.name,
  VersionNumber: v.number,
  ...(v.description ? { VersionDescription: v.description } : {}),
  CreateTime: new Date(v.createdAt),
  CreatedBy: 'arn:aws:iam::123456789012:root',
  DefaultVersion: v.number === t.defaultVersion,
  LaunchTemplateData: structuredClone(v.data),
});

export const ec2LaunchTemplateOperations: Record<string, OperationHandler> = {
  CreateLaunchTemplate(input, { sandbox, account, region, now }) {
    if (!input.LaunchTemplateName) throw awsError('MissingParameter', 'The request must contain the parameter LaunchTemplateName.');
    const t = putLaunchTemplate(launchTemplatesState(sandbox, account, region), input.LaunchTemplateName, input.LaunchTemplateData ?? {}, now.toISOString(), input.VersionDescription);
    return { LaunchTemplate: describeTemplate(t) };
  },

  CreateLaunchTemplateVersion(input, { sandbox, account, region, now }) {
    const t = findTemplate(launchTemplatesState(sandbox, account, region), input);
    if (input.ClientToken) {
      const earlier = t.versions.find((v) => v.clientToken === input.ClientToken);
      if (earlier) return { LaunchTemplateVersion: describeVersion(t, earlier) };
    }
    // SourceVersion: the new version inherits what LaunchTemplateData leaves out.
    const base = input.SourceVersion !== undefined ? findVersion(t, input.SourceVersion).data : {};
    const v: SandboxLaunchTemplateVersion = {
      number: latestOf(t) + 1,
      createdAt: now.toISOString(),
      ...(input.VersionDescription ? { description: input.VersionDescription } : {}),
      ...(input.ClientToken ? { clientToken: input.ClientToken } : {}),
      data: { ...structuredClone(base), ...structuredClone(input.LaunchTemplateData ?? {}) },
    };
    t.versions.push(v);
    return { LaunchTemplateVersion: describeVersion(t, v) };
  },

  /**
   * DeleteLaunchTemplateVersions: up to 200 versions; failures are answered per version in
   * UnsuccessfullyDeletedLaunchTemplateVersions, not thrown. The default version cannot be deleted.
   */
  DeleteLaunchTemplateVersions(input, { sandbox, account, region }) {
    const t = findTemplate(launchTemplatesState(sandbox, account, region), input);
    const versions: string[] = input.Versions ?? [];
    if (!versions.length) throw awsError('MissingParameter', 'The request must contain the parameter LaunchTemplateVersion.');
    if (versions.length > 200) throw awsError('InvalidParameterValue', 'You can delete up to 200 launch template versions in a single request.');
    const ok: any[] = [];
    const failed: any[] = [];
    for (const raw of versions) {
      const n = Number(raw);
      const v = t.versions.find((x) => x.number === n);
      if (!v) failed.push({ LaunchTemplateId: t.id, LaunchTemplateName: t.name, VersionNumber: Number.isFinite(n) ? n : undefined, ResponseError: { Code: 'launchTemplateVersionDoesNotExist', Message: `The specified launch template version does not exist.` } });
      else if (n === t.defaultVersion) failed.push({ LaunchTemplateId: t.id, LaunchTemplateName: t.name, VersionNumber: n, ResponseError: { Code: 'unexpectedError', Message: 'You cannot delete the default version of a launch template.' } });
      else {
        t.versions = t.versions.filter((x) => x !== v);
        ok.push({ LaunchTemplateId: t.id, LaunchTemplateName: t.name, VersionNumber: n });
      }
    }
    return { SuccessfullyDeletedLaunchTemplateVersions: ok, UnsuccessfullyDeletedLaunchTemplateVersions: failed };
  },

  /** DescribeInstanceTypeOfferings by availability-zone (or region), filtered by instance-type and location. */
  DescribeInstanceTypeOfferings(input, { sandbox, account, region }) {
    const state = launchTemplatesState(sandbox, account, region);
    const type = input.LocationType ?? 'region';
    if (!['region', 'availability-zone'].includes(type)) throw awsError('InvalidParameterValue', `The sandbox answers LocationType region and availability-zone only, not ${type}.`);
    const filter = (name: string): string[] | undefined => (input.Filters ?? []).find((f: { Name?: string }) => f.Name === name)?.Values;
    for (const f of input.Filters ?? []) if (!['instance-type', 'location'].includes(f.Name)) throw awsError('InvalidParameterValue', `The filter '${f.Name}' is invalid`);
    const types = filter('instance-type') ?? ['m5.large', 't3.medium'];
    const zones = type === 'region' ? [region] : (filter('location') ?? ['a', 'b', 'c'].map((z) => `${region}${z}`)).filter((z) => z.startsWith(region));
    const offerings = zones.flatMap((z) => types.filter((t) => type === 'region' || offeredIn(state, t, z)).map((t) => ({ InstanceType: t, LocationType: type, Location: z })));
    const { page, nextToken } = paginate(offerings, { token: input.NextToken, max: input.MaxResults }, { defaultMax: 1000, maxMax: 1000, minMax: 5, operation: 'DescribeInstanceTypeOfferings' });
    return { InstanceTypeOfferings: page, NextToken: nextToken };
  },

  DescribeLaunchTemplates(input, { sandbox, account, region }) {
    const state = launchTemplatesState(sandbox, account, region);
    const all = Object.values(state.templates)
      .filter((t) => (!input.LaunchTemplateIds?.length || input.LaunchTemplateIds.includes(t.id)) && (!input.LaunchTemplateNames?.length || input.LaunchTemplateNames.includes(t.name)))
      .sort((a, b) => a.name.localeCompare(b.name));
    for (const id of input.LaunchTemplateIds ?? []) findTemplate(state, { LaunchTemplateId: id });
    const { page, nextToken } = paginate(all, { token: input.NextToken, max: input.MaxResults }, { defaultMax: 200, maxMax: 200, minMax: 1, operation: 'DescribeLaunchTemplates' });
    return { LaunchTemplates: page.map(describeTemplate), NextToken: nextToken };
  },

  DescribeLaunchTemplateVersions(input, { sandbox, account, region }) {
    const t = findTemplate(launchTemplatesState(sandbox, account, region), input);
    const versions: SandboxLaunchTemplateVersion[] = input.Versions?.length ? input.Versions.map((v: string) => findVersion(t, v)) : [...t.versions].reverse();
    const { page, nextToken } = paginate(versions, { token: input.NextToken, max: input.MaxResults }, { defaultMax: 200, maxMax: 200, minMax: 1, operation: 'DescribeLaunchTemplateVersions' });
    return { LaunchTemplateVersions: page.map((v) => describeVersion(t, v)), NextToken: nextToken };
  },
};
