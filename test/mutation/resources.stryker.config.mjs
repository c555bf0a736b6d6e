/**
 * stryker.config.json with `vitest.related` off, for the remediators (lib/resources/**): their tests reach
 * them through the resource registry, which `vitest related` does not follow ("No tests were found"), so
 * the dry run runs every file in STRYKER_TESTS and per-test coverage picks each mutant's tests.
 *   STRYKER_TESTS='test/unit/resources/elastic-ip/**' npx stryker run test/mutation/resources.stryker.config.mjs \
 *     --mutate lib/resources/elastic-ip/remediators.ts --incrementalFile reports/mutation/incremental/resources-elastic-ip-remediators.json
 */
import { readFileSync } from 'node:fs';

const base = JSON.parse(readFileSync(new URL('../../stryker.config.json', import.meta.url), 'utf8'));
delete base.$schema;
export default { ...base, vitest: { ...base.vitest, related: false } };
