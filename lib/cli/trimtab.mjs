#!/usr/bin/env node
// The `trimtab` command: loads the TypeScript sources through tsx, so the clone needs no build step.
import { register } from 'tsx/esm/api';

// Lambda runs nodejs22.x; the CLI supports Node 20, so the SDK's Node-22 notice is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const { main } = await import('./main.ts');
await main(process.argv);
