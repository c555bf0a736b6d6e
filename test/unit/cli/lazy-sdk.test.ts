import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { facadeSource } from '../../../lib/cli/build.mjs';
import { lazyPackage, loadedSdkPackages } from '../../../lib/cli/lazy-sdk.ts';

/** A stand-in sdk.cjs: one package with a client class, a command class, a paginator and an enum; counts its evaluations. */
const SDK_CJS = `
globalThis.__fakeSdkLoads = 0;
module.exports = {
  'fake-client': () => {
    globalThis.__fakeSdkLoads++;
    class Command { constructor(input) { this.input = input; } static named() { return 'Command:' + this.name; } }
    class FakeClient { constructor(config) { this.config = { serviceId: 'Fake', ...config }; } send(c) { return Promise.resolve({ echoed: c.input }); } }
    return { FakeClient, Command, paginate: async function* (n) { for (let i = 0; i < n; i++) yield i; }, VolumeType: { gp2: 'gp2', gp3: 'gp3' } };
  },
};`;

let dir: string;
let from: string;
let tmp: string | undefined;
const loads = () => (globalThis as { __fakeSdkLoads?: number }).__fakeSdkLoads ?? 0;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'trimtab-lazy-sdk-'));
  // The code cache of the stand-in sdk.cjs goes to the temp folder: this test's own.
  tmp = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  writeFileSync(join(dir, 'sdk.cjs'), SDK_CJS);
  from = pathToFileURL(join(dir, 'chunk.mjs')).href;
});

afterAll(() => {
  if (tmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = tmp;
  rmSync(dir, { recursive: true, force: true });
});

describe('lazyPackage', () => {
  it('loads nothing until an export is used, then loads the package once', async () => {
    // Prepare
    const p = lazyPackage('fake-client', from);
    const FakeClient = p.fn('FakeClient') as new (config: object) => { config: { serviceId: string; region?: string }; send(c: unknown): Promise<unknown> };
    const Command = p.fn('Command') as new (input: object) => { input: object };

    // Act
    const before = loadedSdkPackages.includes('fake-client');
    const client = new FakeClient({ region: 'eu-west-1' });
    const output = await client.send(new Command({ VolumeIds: ['vol-1'] }));

    // Assess
    expect(before).toBe(false);
    expect(loads()).toBe(1);
    expect(loadedSdkPackages.filter((n) => n === 'fake-client')).toEqual(['fake-client']);
    expect(client.config).toEqual({ serviceId: 'Fake', region: 'eu-west-1' });
    expect(output).toEqual({ echoed: { VolumeIds: ['vol-1'] } });
  });

  it('keeps classes working: instanceof, name, static methods and subclasses', () => {
    // Prepare
    const p = lazyPackage('fake-client', from);
    const Command = p.fn('Command') as { new (input: object): { input: object }; named(): string; name: string };

    // Act
    const command = new Command({ a: 1 });
    class Sub extends Command {}
    const sub = new Sub({ b: 2 });

    // Assess
    expect(command instanceof Command).toBe(true);
    expect(Command.name).toBe('Command');
    expect(Command.named()).toBe('Command:Command');
    expect(sub instanceof Command).toBe(true);
    expect(sub instanceof Sub).toBe(true);
    expect(sub.input).toEqual({ b: 2 });
  });

  it('forwards plain functions and enum objects, keys included', async () => {
    // Prepare
    const p = lazyPackage('fake-client', from);
    const paginate = p.fn('paginate') as (n: number) => AsyncGenerator<number>;
    const VolumeType = p.obj('VolumeType') as Record<string, string>;

    // Act
    const pages: number[] = [];
    for await (const page of paginate(3)) pages.push(page);

    // Assess
    expect(pages).toEqual([0, 1, 2]);
    expect(VolumeType.gp3).toBe('gp3');
    expect(Object.keys(VolumeType)).toEqual(['gp2', 'gp3']);
    expect('gp2' in VolumeType).toBe(true);
  });

  it('names the package and the fix when the bundle lacks it', () => {
    // Prepare
    const Missing = lazyPackage('not-bundled', from).fn('X') as new () => object;

    // Act / Assess
    expect(() => new Missing()).toThrow('trimtab build: not-bundled is not in sdk.cjs (rebuild with npm run build)');
  });
});

describe('facadeSource', () => {
  it('exports every runtime export of an SDK package as a pure lazy proxy, and no types', () => {
    // Act
    const source = facadeSource('@aws-sdk/client-sts', '/runtime.ts');

    // Assess
    expect(source).toContain('import { lazyPackage } from "/runtime.ts";');
    expect(source).toContain('const p = lazyPackage("@aws-sdk/client-sts");');
    expect(source).toContain('export const STSClient = /* @__PURE__ */ p.fn("STSClient");');
    expect(source).toContain('export const GetCallerIdentityCommand = /* @__PURE__ */ p.fn("GetCallerIdentityCommand");');
    expect(source).not.toContain('GetCallerIdentityCommandInput');
    expect(source).not.toMatch(/export const __/);
  });
});
