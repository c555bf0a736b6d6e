// Tests run the built `trimtab` command (lib/cli/trimtab.mjs → dist/cli): rebuild it when a source changed.
import { ensureBuilt } from '../lib/cli/build.mjs';

export default async function setup(): Promise<void> {
  await ensureBuilt();
}
