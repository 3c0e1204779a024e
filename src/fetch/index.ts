// Fetch: packages into the download cache, in parallel, with retries, mirror failover and Range
// resume, verified by digest before use (issue 5 step 3).
export type { FetchedPackage, FetchEvent, FetchOptions, FetchRequest } from './types.js';
export { fetchPackages, PROGRESS_STEP } from './fetch-packages.js';
export { cachedPackagePath, partialPackagePath } from './download-cache.js';
export { fetchBytes, fetchToFile } from './fetch-url.js';
