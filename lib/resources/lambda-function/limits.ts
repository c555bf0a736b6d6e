/** Lambda memory limits (UpdateFunctionConfiguration: MemorySize 128 to 10,240 MB, any 1 MB multiple). */
export const MIN_MEMORY_MB = 128;
export const MAX_MEMORY_MB = 10_240;
