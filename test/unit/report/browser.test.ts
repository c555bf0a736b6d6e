import { describe, expect, it } from 'vitest';
import { chooseBrowser, installHint, systemChromiumPath, type BrowserHost } from '../../../lib/report/browser.ts';

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
