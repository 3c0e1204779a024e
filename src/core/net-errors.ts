// Network error codes (Node's and undici's) in words, for the two modules that talk HTTP
// (repos/load.ts for metadata, fetch/ for packages), with whether another attempt may help.

/** code → [words, retryable]. A stall's words start with "stalled" (fetch fails over on them). */
export const NET_ERRORS: Readonly<Record<string, readonly [string, boolean]>> = {
  ECONNREFUSED: ['connection refused', true],
  ECONNRESET: ['connection reset', true],
  ETIMEDOUT: ['timed out', true],
  EPIPE: ['connection closed', true],
  EHOSTUNREACH: ['host unreachable', true],
  ENETUNREACH: ['network unreachable', true],
  EAI_AGAIN: ['name lookup failed temporarily', true],
  ENOTFOUND: ['host not found', false],
  UND_ERR_CONNECT_TIMEOUT: ['connect timeout', true],
  UND_ERR_HEADERS_TIMEOUT: ['stalled: no response headers', true],
  UND_ERR_BODY_TIMEOUT: ['stalled: no data', true],
};
