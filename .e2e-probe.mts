import { endToEnd } from './lib/bench/e2e.ts';
const r = await endToEnd(0, 1);
console.log(JSON.stringify(r));
