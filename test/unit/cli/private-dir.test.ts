import { chmodSync, lstatSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compileCacheDir, privateTempDir, whyNotPrivate } from '../../../lib/cli/private-dir.mjs';

/**
 * Per-user private folders in the shared temp folder (issue 24 point 5): what trimtab runs or
 * loads as code comes only from a real 0700 directory of this user, checked with lstat.
 */
const uid = process.getuid!();
let tmp: string;

beforeEach(() => {
  // A stand-in for /tmp: shared and sticky.
  tmp = mkdtempSync(join(tmpdir(), 'trimtab-private-'));
  chmodSync(tmp, 0o1777);
});

afterEach(() => rmSync(tmp, { recursive: true, force: true }));

describe('privateTempDir', () => {
  it('creates <tmp>/<name>-<uid> with mode 0700 and accepts it', () => {
    // Act
    const { dir, problem } = privateTempDir('trimtab-code-cache', { tmp });

    // Assess
    expect(dir).toBe(join(tmp, `trimtab-code-cache-${uid}`));
    expect(problem).toBeUndefined();
    expect(lstatSync(dir).mode & 0o777).toBe(0o700);
    expect(lstatSync(dir).isDirectory()).toBe(true);
  });

  it('refuses a symbolic link planted under the name, even to a private folder of this user', () => {
    // Prepare: the victim's own 0700 folder, and a link to it where trimtab looks (statSync would follow it)
    const victim = join(tmp, 'victim-home');
    mkdirSync(victim, { mode: 0o700 });
    symlinkSync(victim, join(tmp, `trimtab-code-cache-${uid}`));

    // Act
    const { problem } = privateTempDir('trimtab-code-cache', { tmp });

    // Assess
    expect(problem).toBe('it is a symbolic link (never followed)');
  });

  it('refuses a folder that belongs to another user', () => {
    // Prepare: the folder exists, made by this process; seen by a user with another uid
    mkdirSync(join(tmp, `trimtab-chromium-${uid + 4242}`), { mode: 0o700 });

    // Act
    const { problem } = privateTempDir('trimtab-chromium', { tmp, uid: uid + 4242 });

    // Assess
    expect(problem).toBe(`it belongs to uid ${uid}, not to this user (uid ${uid + 4242})`);
  });

  it.each([
    [0o770, '0770'],
    [0o707, '0707'],
    [0o750, '0750'],
    [0o722, '0722'],
  ])('refuses a folder of this user with mode %o (group or others have access)', (mode, shown) => {
    // Prepare
    const dir = join(tmp, `trimtab-code-cache-${uid}`);
    mkdirSync(dir);
    chmodSync(dir, mode);

    // Act
    const { problem } = privateTempDir('trimtab-code-cache', { tmp });

    // Assess
    expect(problem).toBe(`its mode is ${shown}: group or others have access (0700 needed)`);
  });

  it('refuses a file planted under the name', () => {
    // Prepare
    writeFileSync(join(tmp, `trimtab-code-cache-${uid}`), 'not a folder');

    // Act / Assess
    expect(privateTempDir('trimtab-code-cache', { tmp }).problem).toBe('it is not a folder');
  });

  it('refuses a private folder inside a parent others can write to that is not sticky', () => {
    // Prepare: others could rename the folder away and put theirs in its place
    chmodSync(tmp, 0o777);

    // Act
    const { problem } = privateTempDir('trimtab-code-cache', { tmp });

    // Assess
    expect(problem).toBe(`its parent folder ${tmp} is writable by others and not sticky (they could swap the folder)`);
  });
});

describe('whyNotPrivate', () => {
  it('says a missing folder does not exist', () => {
    expect(whyNotPrivate(join(tmp, 'nothing'))).toBe('it does not exist');
  });
});

describe('compileCacheDir (the launcher, Node ≥ 22.1)', () => {
  it("gives this user's private folder, never Node's shared <tmp>/node-compile-cache", () => {
    // Act
    const dir = compileCacheDir({ tmp });

    // Assess
    expect(dir).toBe(join(tmp, `trimtab-compile-cache-${uid}`));
    expect(lstatSync(dir!).mode & 0o777).toBe(0o700);
  });

  it('gives no folder (no cache) when a symbolic link was planted under the name', () => {
    // Prepare
    mkdirSync(join(tmp, 'elsewhere'), { mode: 0o700 });
    symlinkSync(join(tmp, 'elsewhere'), join(tmp, `trimtab-compile-cache-${uid}`));

    // Act / Assess
    expect(compileCacheDir({ tmp })).toBeUndefined();
  });
});
