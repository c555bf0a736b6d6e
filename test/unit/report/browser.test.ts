import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chooseBrowser, installHint, npmChromium, resolveBrowser, systemChromiumPath, type BrowserHost } from '../../../lib/report/browser.ts';

const host = (overrides: Partial<BrowserHost> & { files?: string[] }): BrowserHost => {
  const files = new Set(overrides.files ?? []);
  return { platform: 'linux', arch: 'x64', env: { PATH: '/usr/local/bin:/usr/bin' }, exists: (p) => files.has(p), ...overrides };
};

describe('chooseBrowser', () => {
  it('uses the npm Chromium on Linux x64 even when no browser is installed', () => {
    // Prepare: a fresh machine, nothing on PATH
    const fresh = host({});

    // Act
    const chosen = chooseBrowser(fresh);

    // Assess
    expect(chosen).toEqual({ kind: 'npm' });
  });

  it('prefers CHROMIUM_PATH over the npm Chromium, with the quiet headless flags', () => {
    // Prepare
    const h = host({ env: { CHROMIUM_PATH: '/opt/chrome/chrome', PATH: '/usr/bin' }, files: ['/opt/chrome/chrome'] });

    // Act
    const chosen = chooseBrowser(h);

    // Assess
    expect(chosen.kind).toBe('path');
    if (chosen.kind !== 'path') return;
    expect(chosen.choice.executablePath).toBe('/opt/chrome/chrome');
    expect(chosen.choice.source).toBe('CHROMIUM_PATH');
    expect(chosen.choice.args).toContain('--headless');
  });

  it('names CHROMIUM_PATH when it points at nothing', () => {
    // Prepare
    const h = host({ env: { CHROMIUM_PATH: '/nope/chromium' } });

    // Act / Assess
    expect(() => chooseBrowser(h)).toThrow("CHROMIUM_PATH is set to '/nope/chromium', which does not exist");
  });

  it('uses the installed Google Chrome on macOS, where the npm package has no binary', () => {
    // Prepare
    const mac = host({ platform: 'darwin', arch: 'arm64', files: ['/Applications/Google Chrome.app/Contents/MacOS/Google Chrome'] });

    // Act
    const chosen = chooseBrowser(mac);

    // Assess
    expect(chosen).toMatchObject({ kind: 'path', choice: { executablePath: '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome', source: 'system' } });
  });

  it('finds chromium on PATH on Linux arm64', () => {
    // Prepare
    const arm = host({ arch: 'arm64', files: ['/usr/bin/chromium'] });

    // Act
    const path = systemChromiumPath(arm);

    // Assess
    expect(path).toBe('/usr/bin/chromium');
    expect(chooseBrowser(arm)).toMatchObject({ kind: 'path', choice: { executablePath: '/usr/bin/chromium' } });
  });

  it('says what to install on each platform when there is no browser at all', () => {
    // Act / Assess
    expect(() => chooseBrowser(host({ platform: 'darwin', arch: 'arm64' }))).toThrow('No headless browser for darwin/arm64: install Google Chrome (https://www.google.com/chrome/) or Chromium (`brew install --cask chromium`), or set CHROMIUM_PATH');
    expect(() => chooseBrowser(host({ platform: 'win32', env: { PROGRAMFILES: 'C:\\Program Files' } }))).toThrow('No headless browser for win32/x64: install Google Chrome');
    expect(() => chooseBrowser(host({ arch: 'arm64' }))).toThrow('the npm browser (@sparticuz/chromium) has no arm64 build: install Chromium (Debian/Ubuntu: `apt-get install chromium`)');
    expect(installHint({ platform: 'freebsd', arch: 'x64' })).toBe('install Chrome or Chromium');
  });

  it('finds Chrome where the Windows installer puts it', () => {
    // Prepare
    const win = host({ platform: 'win32', env: { PATH: '', LOCALAPPDATA: 'C:\\Users\\me\\AppData\\Local' }, files: ['C:\\Users\\me\\AppData\\Local\\Google\\Chrome\\Application\\chrome.exe'] });

    // Act / Assess
    expect(systemChromiumPath(win)).toBe('C:\\Users\\me\\AppData\\Local\\Google\\Chrome\\Application\\chrome.exe');
  });
});

describe('the npm Chromium on a shared machine (issue 24 point 5)', () => {
  const uid = process.getuid!();
  let tmp: string;
  let saved: string | undefined;

  beforeEach(() => {
    // A stand-in for the shared /tmp (sticky, world-writable), as os.tmpdir() for this test.
    tmp = mkdtempSync(join(tmpdir(), 'trimtab-shared-tmp-'));
    chmodSync(tmp, 0o1777);
    saved = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
  });

  afterEach(() => {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
    rmSync(tmp, { recursive: true, force: true });
  });

  it("never runs a <tmp>/chromium planted by another user: @sparticuz/chromium is pointed at this user's 0700 folder", async () => {
    // Prepare: another user's program where the package looks first; this user's earlier unpack in its private folder
    writeFileSync(join(tmp, 'chromium'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    const own = join(tmp, `trimtab-chromium-${uid}`);
    mkdirSync(own, { mode: 0o700 });
    writeFileSync(join(own, 'chromium'), 'unpacked by this user', { mode: 0o700 });

    // Act: the real package's executablePath(), through resolveBrowser on Linux x64
    const choice = await resolveBrowser({ platform: 'linux', arch: 'x64', env: {}, exists: existsSync });

    // Assess: this user's binary; the temp folder is os.tmpdir() again afterwards
    expect(choice.executablePath).toBe(join(own, 'chromium'));
    expect(readFileSync(choice.executablePath, 'utf8')).toBe('unpacked by this user');
    expect(choice.source).toBe('npm @sparticuz/chromium');
    expect(tmpdir()).toBe(tmp);
  });

  it('refuses, naming why, when the private folder is a symbolic link planted by someone else', async () => {
    // Prepare: a link to a folder holding a "chromium" of theirs
    mkdirSync(join(tmp, 'theirs'), { mode: 0o700 });
    writeFileSync(join(tmp, 'theirs', 'chromium'), 'theirs', { mode: 0o755 });
    symlinkSync(join(tmp, 'theirs'), join(tmp, `trimtab-chromium-${uid}`));

    // Act
    const outcome = npmChromium({ tmp });

    // Assess
    await expect(outcome).rejects.toThrow(`Will not unpack or run the npm Chromium in ${join(tmp, `trimtab-chromium-${uid}`)}: it is a symbolic link (never followed).`);
  });

  it('refuses a private folder that belongs to another uid', async () => {
    // Prepare: the folder exists (made by this process); the user asking has another uid
    mkdirSync(join(tmp, `trimtab-chromium-${uid + 4242}`), { mode: 0o700 });

    // Act
    const outcome = npmChromium({ tmp, uid: uid + 4242 });

    // Assess
    await expect(outcome).rejects.toThrow(`it belongs to uid ${uid}, not to this user (uid ${uid + 4242})`);
  });

  it('refuses a private folder that group or others can write to', async () => {
    // Prepare
    mkdirSync(join(tmp, `trimtab-chromium-${uid}`));
    chmodSync(join(tmp, `trimtab-chromium-${uid}`), 0o777);

    // Act
    const outcome = npmChromium({ tmp });

    // Assess
    await expect(outcome).rejects.toThrow('its mode is 0777: group or others have access (0700 needed)');
  });
});
