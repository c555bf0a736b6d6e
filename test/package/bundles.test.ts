/**
 * What each packaged function carries (issue 18, docs/performance.md): read from the esbuild
 * metafile of each function's bundle as `osls package` built it (kept in .serverless/metafiles by
 * lib/lambda/metafile-plugin.cjs; the first test proves each describes the bundle in its zip), and
 * from the zips and template `osls package` made. Nothing is built again here (issue 29 §3).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Metafile } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { serverlessConfig } from '../../lib/bench/lambda.ts';
import { readZip } from '../../lib/bench/zip.ts';
import { COMPILED_POLICY_FILE, COMPILED_POLICY_FORMAT } from '../../lib/policy/compiled.ts';
import { detectors, remediators, resourceTypes } from '../../lib/resources/index.ts';

// The plugin serverless-esbuild runs (serverless.yml custom.esbuild.plugins) says where it keeps each metafile.
const { metafilePath } = createRequire(import.meta.url)('../../lib/lambda/metafile-plugin.cjs') as { metafilePath: (entry: string) => string };
const config = serverlessConfig();
const FUNCTIONS = Object.keys(config.functions).sort();
const template = JSON.parse(readFileSync('.serverless/cloudformation-template-update-stack.json', 'utf8'));
const resources: Record<string, any> = template.Resources;

/** The functions that serve people or the workflow's bookkeeping: no resource module, no account client. */
const LEAN = ['approvalPage', 'approvalRecord', 'approvalNotify', 'approvalAsk'];
const FORBIDDEN_IN_LEAN = ['@aws-sdk/client-ec2', '@aws-sdk/client-s3', '@aws-sdk/client-auto-scaling', '@aws-sdk/client-cloudwatch'];

/** The IAM service prefix of each SDK client package. */
const IAM_PREFIX: Record<string, string> = {
  'application-auto-scaling': 'application-autoscaling',
  'auto-scaling': 'autoscaling',
  cloudformation: 'cloudformation',
  cloudwatch: 'cloudwatch',
  'cloudwatch-logs': 'logs',
  'compute-optimizer': 'compute-optimizer',
  dynamodb: 'dynamodb',
  ec2: 'ec2',
  'elastic-load-balancing-v2': 'elasticloadbalancing',
  eks: 'eks',
  'elastic-beanstalk': 'elasticbeanstalk',
  elasticache: 'elasticache',
  eventbridge: 'events',
  iam: 'iam',
  lambda: 'lambda',
  pricing: 'pricing',
  rds: 'rds',
  'resource-groups-tagging-api': 'tag',
  rbin: 'rbin',
  s3: 's3',
  sesv2: 'ses',
  sfn: 'states',
  ssm: 'ssm',
  sts: 'sts',
};
/**
 * Clients a function may carry without its role granting them in the default trimtab.yml, and
 * why: STS assumes the member roles of an `organization:` block (lib/org/roles.ts), which the
 * role grants only when trimtab.yml has one; SFN starts the approval workflow (lib/lambda/deps.ts).
 */
const CONDITIONAL: Record<string, string> = {
  sts: 'organization member roles',
  // The engine starts the approval workflow for approval-mode findings; granted where the function's policies include one.
  sfn: 'approval workflow start',
  // Owned resources (lib/ownership, issue 28): granted where a function's policies change owned
  // resources through their owner (owned.choice via-owner) or act on DynamoDB tables (stack listings).
  cloudformation: 'owner of a resource: CloudFormation stack',
  eks: 'owner of a resource: EKS node group',
  'elastic-beanstalk': 'owner of a resource: Elastic Beanstalk environment',
};

const packageOf = (path: string) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1];

interface Carried {
  /** Source files and packages with bytes in the output (tree-shaken imports are not carried). */
  files: string[];
  packages: Set<string>;
  /** @aws-sdk/client-* packages imported by code outside the SDK and present in the output. */
  clients: string[];
  metafile: Metafile;
}

const carried = new Map<string, Carried>();

/** Each function's bundle entry (functions/scan.ts) from its serverless.yml handler. */
const entryOf = (name: string) => `${config.functions[name].handler.replace(/\.[^.]+$/, '')}.ts`;

beforeAll(() => {
  for (const name of FUNCTIONS) {
    const file = metafilePath(entryOf(name));
    if (!existsSync(file)) throw new Error(`${file} is missing: run 'npx osls package' first (serverless.yml custom.esbuild.plugins keeps the metafiles)`);
    const metafile: Metafile = JSON.parse(readFileSync(file, 'utf8'));
    const output = Object.values(metafile.outputs)[0];
    const files = Object.entries(output.inputs).filter(([, i]) => i.bytesInOutput > 0).map(([f]) => f);
    const packages = new Set(files.map(packageOf).filter((p): p is string => Boolean(p)));
    const clients = new Set<string>();
    for (const [file, input] of Object.entries(metafile.inputs)) {
      const importer = packageOf(file);
      if (importer?.startsWith('@aws-sdk/') || importer?.startsWith('@smithy/')) continue;
      for (const imp of input.imports) {
        const pkg = packageOf(imp.path);
        if (pkg && /^@aws-sdk\/client-/.test(pkg) && packages.has(pkg)) clients.add(pkg);
      }
    }
    carried.set(name, { files, packages, clients: [...clients].sort(), metafile });
  }
});

/** The IAM service prefixes the function's role grants (serverless-iam-roles-per-function). */
function grantedPrefixes(name: string): Set<string> {
  const fn = Object.values(resources).find((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.FunctionName === `trimtab-dev-${name}`);
  expect(fn, name).toBeDefined();
  const role = resources[fn.Properties.Role['Fn::GetAtt'][0]];
  return new Set(role.Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement.flatMap((s: any) => [s.Action].flat())).map((a: string) => a.split(':')[0]));
}

/** The IAM prefixes every registered resource type, detector and action declares. */
function registryPrefixes(): Set<string> {
  const actions: string[] = [];
  for (const type of resourceTypes.all()) {
    actions.push(...type.permissions);
    for (const d of detectors(type.id).all()) actions.push(...(d.permissions ?? []));
    for (const r of remediators(type.id).all()) actions.push(...r.permissions);
  }
  return new Set(actions.map((a) => a.split(':')[0]));
}

describe('the packaged functions: what each bundle carries', () => {
  it('reads a metafile that describes each function\'s zipped bundle, byte for byte in size', () => {
    for (const name of FUNCTIONS) {
      // Prepare: the bundle osls package zipped (functions/scan.cjs) and the metafile kept beside the zips.
      const bundleName = entryOf(name).replace(/\.ts$/, '.cjs');
      const bundle = readZip(join('.serverless', `${name}.zip`)).find((e) => e.name === bundleName);
      expect(bundle, `${name}.zip has ${bundleName}`).toBeDefined();
      // Act
      const outputs = Object.entries(carried.get(name)!.metafile.outputs);
      // Assess: one output, the zipped file, of the zipped file's size.
      expect(outputs.map(([path]) => path), name).toEqual([`.esbuild/.build/${bundleName}`]);
      expect(outputs[0][1].bytes, name).toBe(bundle!.read().length);
      expect(outputs[0][1].entryPoint, name).toBe(entryOf(name));
    }
  });

  it('keeps EC2, S3, Auto Scaling and CloudWatch clients and every resource module out of the approval page, ask, record and notify functions', () => {
    for (const name of LEAN) {
      // Prepare
      const bundle = carried.get(name)!;
      // Act
      const resourceModules = bundle.files.filter((f) => f.startsWith('lib/resources/') && f !== 'lib/resources/registry.ts');
      // Assess
      for (const client of FORBIDDEN_IN_LEAN) expect([...bundle.packages], `${name} carries ${client}`).not.toContain(client);
      expect(resourceModules, `${name} carries resource modules`).toEqual([]);
      expect(bundle.files, name).not.toContain('lib/engine/scope.ts');
    }
    expect(carried.get('approvalPage')!.clients).toEqual(['@aws-sdk/client-dynamodb', '@aws-sdk/client-sfn', '@aws-sdk/client-ssm']);
  });

  it('parses no YAML, builds no policy schema and carries no sandbox in any deployed function', () => {
    for (const name of FUNCTIONS) {
      const { files, packages } = carried.get(name)!;
      expect(packages.has('yaml'), `${name} carries yaml`).toBe(false);
      expect(files.filter((f) => /^lib\/policy\/(schema|load)\.ts$/.test(f)), `${name} carries the YAML loader or the policy schema`).toEqual([]);
      expect(files.filter((f) => f.startsWith('lib/sandbox/')), `${name} carries the sandbox`).toEqual([]);
      expect(packages.has('dynalite') || packages.has('aws-ses-v2-local'), `${name} carries a local server`).toBe(false);
    }
  });

  it('carries only the SDK clients its role or its registered resource modules need', () => {
    const registry = registryPrefixes();
    for (const name of FUNCTIONS) {
      // Prepare
      const { clients, metafile } = carried.get(name)!;
      const runsPolicies = 'lib/resources/index.ts' in metafile.inputs;
      const allowed = new Set([...grantedPrefixes(name), ...(runsPolicies ? registry : [])]);
      // Act
      const unneeded = clients.filter((c) => {
        const prefix = IAM_PREFIX[c.replace('@aws-sdk/client-', '')];
        return !prefix || (!allowed.has(prefix) && !CONDITIONAL[c.replace('@aws-sdk/client-', '')]);
      });
      // Assess
      // A client missing from IAM_PREFIX shows here too: add its IAM service prefix above.
      expect(unneeded, `${name} carries clients it has no permission or module for (or no IAM_PREFIX entry)`).toEqual([]);
    }
  });

  it('has no import cycle among trimtab modules (the engine depends on the registry, not on every module)', () => {
    for (const name of FUNCTIONS) {
      // Prepare: the import graph of trimtab's own files in this bundle.
      const { metafile } = carried.get(name)!;
      const graph = new Map<string, string[]>();
      for (const [file, input] of Object.entries(metafile.inputs)) if (file.startsWith('lib/') || file.startsWith('functions/')) graph.set(file, input.imports.map((i) => i.path).filter((p) => p.startsWith('lib/')));
      // Act: depth-first search for a back edge.
      const cycles: string[] = [];
      const done = new Set<string>();
      const path: string[] = [];
      const visit = (file: string) => {
        if (path.includes(file)) return void cycles.push([...path.slice(path.indexOf(file)), file].join(' → '));
        if (done.has(file)) return;
        path.push(file);
        for (const next of graph.get(file) ?? []) visit(next);
        path.pop();
        done.add(file);
      };
      for (const file of graph.keys()) visit(file);
      // Assess
      expect(cycles, name).toEqual([]);
    }
  });

  it('uses the namespace import of zod outside Powertools parser, so no function carries zod\'s locales through trimtab code', () => {
    for (const name of FUNCTIONS) {
      const { metafile } = carried.get(name)!;
      // A named `{ z }` import pulls in zod's whole namespace object, locales included (400+ KiB minified).
      const namedImports = Object.entries(metafile.inputs)
        .filter(([file]) => file.startsWith('lib/') || file.startsWith('functions/'))
        .filter(([file]) => /import\s*\{\s*z\s*\}\s*from\s*'zod'/.test(readFileSync(file, 'utf8')))
        .map(([file]) => file);
      expect(namedImports, `${name}: use "import * as z from 'zod'"`).toEqual([]);
    }
  });

  it('keeps the Powertools parser out of the event and alarm functions: their EventBridge envelope is trimtab\'s own zod schema', () => {
    // Prepare: the parser's EventBridge envelope imports every Powertools schema, each with a named `{ z }` import.
    expect(FUNCTIONS).toEqual(expect.arrayContaining(['event', 'alarm']));
    for (const name of FUNCTIONS) {
      // Act
      const { files, packages } = carried.get(name)!;
      // Assess
      expect(packages.has('@aws-lambda-powertools/parser'), name).toBe(false);
      expect(files.filter((f) => f.includes('@aws-lambda-powertools/parser')), name).toEqual([]);
    }
  });

  it('carries zod tree-shaken in every function: no locale but English, and under 120 KiB minified (all of zod is 445 KiB)', () => {
    for (const name of FUNCTIONS) {
      // Prepare: the zod files with bytes in this function's output.
      const output = Object.values(carried.get(name)!.metafile.outputs)[0];
      const zod = Object.entries(output.inputs).filter(([file, input]) => file.includes('node_modules/zod/') && input.bytesInOutput > 0);
      // Act
      const locales = zod.map(([file]) => /zod\/v4\/locales\/(.+)\.js$/.exec(file)?.[1]).filter((l): l is string => Boolean(l));
      const bytes = zod.reduce((sum, [, input]) => sum + input.bytesInOutput, 0);
      // Assess: the English messages are the only locale zod's default config uses.
      expect(locales, name).toEqual(['en']);
      expect(bytes, name).toBeLessThan(120 * 1024);
    }
  });
});

describe('the packaged functions: the compiled policies', () => {
  it('ships trimtab.policies.json made by the compiler, and not the YAML', () => {
    for (const zip of FUNCTIONS.map((name) => join('.serverless', `${name}.zip`))) {
      const entries = readZip(zip);
      const compiled = entries.find((e) => e.name === COMPILED_POLICY_FILE);
      expect(entries.map((e) => e.name), zip).not.toContain('trimtab.yml');
      if (!compiled) continue;
      const parsed = JSON.parse(compiled.read().toString('utf8'));
      expect(parsed.format).toBe(COMPILED_POLICY_FORMAT);
      expect(parsed.source.file).toBe('trimtab.yml');
      expect(parsed.policySet.policies.length).toBeGreaterThan(0);
    }
    // Every function that runs policies has the file.
    for (const name of FUNCTIONS.filter((n) => carried.get(n)!.files.includes('lib/policy/compiled.ts'))) {
      expect(readZip(join('.serverless', `${name}.zip`)).map((e) => e.name), name).toContain(COMPILED_POLICY_FILE);
    }
  });

  // 250 KiB again (247.7 measured): the page's Lambda side (lib/approval/page-lambda.ts) and decide()
  // (lib/approval/decide.ts) no longer import workflow.ts, which carries the engine and the price
  // table (~11 KB minified) the page never uses. It had grown to 252.35 KiB with #26's charts and facts.
  it('keeps the approval page zip within 250 KiB', () => {
    expect(readFileSync(join('.serverless', 'approvalPage.zip')).length / 1024).toBeLessThanOrEqual(250);
  });
});
