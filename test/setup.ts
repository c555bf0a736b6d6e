// Keep Powertools quiet and EMF out of test output.
process.env.POWERTOOLS_DEV ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_METRICS_NAMESPACE ??= 'trimtab';
process.env.POWERTOOLS_TRACE_ENABLED ??= 'false';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// Sandbox answers are encoded strictly: a member the AWS model does not have is an error, not silently dropped (lib/sandbox/wire/encode.ts).
process.env.TRIMTAB_WIRE_STRICT ??= '1';
// Every resource module in the registries, as the functions that run policies load them (functions/scan.ts): the engine itself imports only the registry.
import '../lib/resources/index.ts';
