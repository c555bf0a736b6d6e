/**
 * What an Auto Scaling group's instances are billed as (issue 27): the operating system of the
 * AMI its launch template version (or launch configuration) names, and the tenancy it sets, so
 * that right-sizing and scaling findings price instance hours at Windows / RHEL / SUSE rates
 * where the group runs them.
 *
 * Calls, per page of groups: one DescribeLaunchTemplateVersions per distinct template (every
 * Version the page's groups name, in one call), one batched DescribeLaunchConfigurations (50
 * names) for launch-configuration groups, then DescribeImages with the AMI ids (100 a call;
 * PlatformDetails is the AMI's billing product, EC2 User Guide "AMI billing information fields").
 * A well-formed id of an AMI that no longer exists fails the whole DescribeImages call with
 * InvalidAMIID.NotFound: that batch is then asked one id at a time. A `resolve:ssm:<parameter>` ImageId (resolved
 * by EC2 at launch) is resolved the same way with Systems Manager GetParameters (10 names a call): the
 * parameter's current value is the AMI the group launches now. A parameter that does not exist (GetParameters
 * lists it in InvalidParameters), or a role without ssm:GetParameters, leaves that group unknown. What cannot be read leaves
 * the group's platform `unknown` with why; the findings then price at Linux rates and say so.
 */
import { AutoScalingClient, paginateDescribeLaunchConfigurations } from '@aws-sdk/client-auto-scaling';
import { DescribeImagesCommand, DescribeLaunchTemplateVersionsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { GetParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { RegionContext } from '../../engine/types.ts';
import type { Ec2Platform } from '../../savings/licensed.ts';
import { batches } from '../../util/async.ts';
import { awsErrorName } from '../../util/errors.ts';

/** What the platform read needs of a group (resource.ts's Group has these; a local shape keeps the two files out of a cycle). */
export interface LaunchSource {
  name: string;
  launchConfigurationName?: string;
  launchTemplate?: string;
  launchTemplateId?: string;
  launchTemplateVersion?: string;
}

interface Launch {
  imageId?: string;
  tenancy?: string;
  unknown?: string;
}

const IMAGES_PER_CALL = 100;
/** GetParameters takes 1 to 10 names (Systems Manager API reference, GetParameters: Names). */
const PARAMETERS_PER_CALL = 10;
const SSM_PREFIX = 'resolve:ssm:';
const AMI_ID = /^ami-[0-9a-f]+$/;

/** What reading a group's platform needs (detectors with the `platform` need list them). */
export const PLATFORM_PERMISSIONS = ['ec2:DescribeLaunchTemplateVersions', 'ec2:DescribeImages', 'autoscaling:DescribeLaunchConfigurations', 'ssm:GetParameters'];

/** The group's platform, by group name. Never throws: a failed read is the group's `unknown`. */
export async function readGroupPlatforms(ctx: RegionContext, client: AutoScalingClient, groups: LaunchSource[]): Promise<Map<string, Ec2Platform>> {
  const ec2 = ctx.clients.get(EC2Client, ctx.region);
  const launches = new Map<string, Launch>();
  // Launch templates: every version a page's groups name, one call per template.
  const byTemplate = new Map<string, { key: 'LaunchTemplateId' | 'LaunchTemplateName'; versions: Set<string>; groups: LaunchSource[] }>();
  for (const g of groups) {
    if (!g.launchTemplate) continue;
    const id = g.launchTemplateId ?? g.launchTemplate;
    const entry = byTemplate.get(id) ?? { key: g.launchTemplateId ? 'LaunchTemplateId' : 'LaunchTemplateName', versions: new Set<string>(), groups: [] };
    entry.versions.add(g.launchTemplateVersion ?? '$Default');
    entry.groups.push(g);
    byTemplate.set(id, entry);
  }
  for (const [id, entry] of byTemplate) {
    const read = async (wanted: string[], groups: LaunchSource[]) => {
      const out = await ec2.send(new DescribeLaunchTemplateVersionsCommand({ [entry.key]: id, Versions: wanted }));
      const versions = out.LaunchTemplateVersions ?? [];
      const defaultV = versions.find((v) => v.DefaultVersion);
      const latest = [...versions].sort((a, b) => (b.VersionNumber ?? 0) - (a.VersionNumber ?? 0))[0];
      for (const g of groups) {
        const want = g.launchTemplateVersion ?? '$Default';
        const v = want === '$Default' ? defaultV : want === '$Latest' ? latest : versions.find((x) => String(x.VersionNumber) === want);
        const data = v?.LaunchTemplateData;
        launches.set(g.name, data?.ImageId ? { imageId: data.ImageId, tenancy: data.Placement?.Tenancy } : { unknown: `launch template ${id} version ${want} names no AMI` });
      }
    };
    const notReadable = (groups: LaunchSource[], error: unknown) => {
      for (const g of groups) launches.set(g.name, { unknown: `launch template ${id} not readable: ${awsErrorName(error) ?? 'error'}` });
    };
    try {
      await read([...entry.versions], entry.groups);
    } catch (error) {
      if (awsErrorName(error) === 'InvalidLaunchTemplateId.VersionNotFound' && entry.versions.size > 1) {
        // One missing version (EC2 lets a version a group names be deleted) fails the call for all: ask per version.
        for (const version of entry.versions) {
          const groups = entry.groups.filter((g) => (g.launchTemplateVersion ?? '$Default') === version);
          try {
            await read([version], groups);
          } catch (e) {
            notReadable(groups, e);
          }
        }
      } else notReadable(entry.groups, error);
    }
  }
  // Launch configurations: ImageId and PlacementTenancy.
  const lcGroups = groups.filter((g) => !g.launchTemplate && g.launchConfigurationName);
  if (lcGroups.length) {
    try {
      const found = new Map<string, Launch>();
      for (const batch of batches([...new Set(lcGroups.map((g) => g.launchConfigurationName!))], 50)) {
        for await (const page of paginateDescribeLaunchConfigurations({ client, pageSize: 50 }, { LaunchConfigurationNames: batch })) {
          for (const lc of page.LaunchConfigurations ?? []) found.set(lc.LaunchConfigurationName!, { imageId: lc.ImageId, tenancy: lc.PlacementTenancy });
        }
      }
      for (const g of lcGroups) launches.set(g.name, found.get(g.launchConfigurationName!) ?? { unknown: `launch configuration ${g.launchConfigurationName} not found` });
    } catch (error) {
      for (const g of lcGroups) launches.set(g.name, { unknown: `launch configuration not readable: ${awsErrorName(error) ?? 'error'}` });
    }
  }
  const imageIds = [...new Set([...launches.values()].map((l) => l.imageId).filter((id): id is string => Boolean(id)))];
  const viaSsm = await resolveSsmImageIds(ctx, imageIds.filter((id) => id.startsWith(SSM_PREFIX)));
  const images = await readImagePlatforms(ec2, [...new Set(imageIds.map((id) => viaSsm.get(id)?.ami ?? id))]);
  for (const [id, r] of viaSsm) {
    if (r.ami) {
      const image = images.get(r.ami);
      images.set(id, typeof image === 'object' ? { unknown: `${id.slice(SSM_PREFIX.length)} = ${r.ami}: ${image.unknown}` } : image ?? '');
    } else images.set(id, { unknown: r.unknown! });
  }
  const out = new Map<string, Ec2Platform>();
  for (const g of groups) {
    const launch = launches.get(g.name);
    if (!launch) {
      out.set(g.name, { unknown: 'the group names no launch template or configuration' });
      continue;
    }
    if (launch.unknown || !launch.imageId) {
      out.set(g.name, { unknown: launch.unknown ?? 'no AMI' });
      continue;
    }
    const image = images.get(launch.imageId);
    if (typeof image !== 'string' || image === '') {
      out.set(g.name, { unknown: `AMI ${launch.imageId}: ${typeof image === 'object' ? image.unknown : 'no PlatformDetails'}` });
      continue;
    }
    out.set(g.name, { platformDetails: image, tenancy: launch.tenancy ?? 'default' });
  }
  return out;
}

/**
 * The AMI id each `resolve:ssm:<parameter>` image id names now (GetParameters, 10 names a call), or why not.
 * The parameter may carry a version (`name:3`), which GetParameters takes as is and answers as Name + Selector.
 */
async function resolveSsmImageIds(ctx: RegionContext, ids: string[]): Promise<Map<string, { ami?: string; unknown?: string }>> {
  const out = new Map<string, { ami?: string; unknown?: string }>();
  if (!ids.length) return out;
  const ssm = ctx.clients.get(SSMClient, ctx.region);
  for (const batch of batches(ids, PARAMETERS_PER_CALL)) {
    const names = batch.map((id) => id.slice(SSM_PREFIX.length));
    try {
      const answer = await ssm.send(new GetParametersCommand({ Names: names }));
      // Never WithDecryption: an AMI parameter is a String; a SecureString's value stays encrypted and is not used.
      const values = new Map((answer.Parameters ?? []).map((p) => [`${p.Name}${p.Selector ?? ''}`, p]));
      const invalid = new Set(answer.InvalidParameters ?? []);
      for (const [i, id] of batch.entries()) {
        const parameter = values.get(names[i]);
        const value = parameter?.Value;
        if (parameter?.Type === 'SecureString') out.set(id, { unknown: `Systems Manager parameter ${names[i]} is a SecureString (not decrypted; an AMI parameter is a String)` });
        else if (value && AMI_ID.test(value)) out.set(id, { ami: value });
        // The value is the account's (attacker input): refused, and not repeated in the finding.
        else if (parameter) out.set(id, { unknown: `Systems Manager parameter ${names[i]} does not hold an AMI id (data type ${String(parameter.DataType ?? 'text').slice(0, 20)})` });
        else out.set(id, { unknown: `Systems Manager parameter ${names[i]} ${invalid.has(names[i]) ? 'not found (GetParameters InvalidParameters)' : 'not answered by GetParameters'}` });
      }
    } catch (error) {
      const code = awsErrorName(error) ?? 'error';
      const why = code === 'AccessDeniedException' ? 'ssm:GetParameters denied' : `GetParameters failed: ${code}`;
      for (const [i, id] of batch.entries()) out.set(id, { unknown: `Systems Manager parameter ${names[i]}, resolved only at launch, not read (${why})` });
    }
  }
  return out;
}

/** PlatformDetails per AMI id, or why it is unknown. */
async function readImagePlatforms(ec2: EC2Client, ids: string[]): Promise<Map<string, string | { unknown: string }>> {
  const found = new Map<string, string | { unknown: string }>();
  // A launch template may name its AMI as a Systems Manager parameter (`resolve:ssm:<name>`, resolved at launch);
  // DescribeLaunchTemplateVersions returns that text (ResolveAlias is false by default) and DescribeImages would fail
  // the whole batch with InvalidAMIID.Malformed: such ids are not sent.
  for (const id of ids) if (!AMI_ID.test(id)) found.set(id, { unknown: id.startsWith('resolve:ssm:') ? 'a Systems Manager parameter, resolved only at launch' : 'not an AMI id' });
  ids = ids.filter((id) => AMI_ID.test(id));
  // IncludeDeprecated: another account's deprecated AMI (Amazon deprecates its public AMIs after two years) is left out
  // of the answer by default, yet groups keep launching it. Disabled AMIs stay out: nothing can launch them.
  const ask = async (batch: string[]) => {
    const out = await ec2.send(new DescribeImagesCommand({ ImageIds: batch, IncludeDeprecated: true }));
    for (const image of out.Images ?? []) if (image.ImageId) found.set(image.ImageId, image.PlatformDetails ?? '');
  };
  for (const batch of batches(ids, IMAGES_PER_CALL)) {
    try {
      await ask(batch);
    } catch (error) {
      const code = awsErrorName(error);
      if ((code === 'InvalidAMIID.NotFound' || code === 'InvalidAMIID.Malformed') && batch.length > 1) {
        // One gone (or malformed) AMI id fails the whole call: ask the batch one id at a time.
        for (const id of batch) {
          try {
            await ask([id]);
          } catch (e) {
            found.set(id, { unknown: awsErrorName(e) ?? 'not readable' });
          }
        }
      } else for (const id of batch) found.set(id, { unknown: code ?? 'not readable' });
    }
  }
  for (const id of ids) if (!found.has(id)) found.set(id, { unknown: 'not returned by DescribeImages (deregistered, disabled, or no longer shared with this account)' });
  return found;
}
