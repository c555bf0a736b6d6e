// Prints the generated stack configuration as JSON (used by serverless-vars.cjs).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { stackConfig } = await import('./stack.ts');
process.stdout.write(JSON.stringify(stackConfig()));
export {};
