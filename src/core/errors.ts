/**
 * The one error hierarchy of jigtree (architecture.md §5). Every error the library throws is a
 * JigtreeError with a stable `code`; callers branch on the subclass or the code, never on text.
 */

/** Stable error codes; documented in README "Errors". */
export type ErrorCode =
  | 'E_USAGE'
  | 'E_VALIDATION'
  | 'E_FORMAT'
  | 'E_INTEGRITY'
  | 'E_NOT_FOUND'
  | 'E_FETCH'
  | 'E_SIGNATURE'
  | 'E_SOLVE'
  | 'E_IO'
  | 'E_INTERNAL';

/** JSON-safe details attached to an error. */
export type ErrorData = Record<string, unknown> & { context?: string[] };

const BRAND = Symbol.for('jigtree.error');

/** Base class; `instanceof` works across duplicate copies of the module (as undici does). */
export class JigtreeError extends Error {
  readonly code: ErrorCode;
  readonly data: ErrorData;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, opts: { data?: ErrorData; hint?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.data = opts.data ?? {};
    this.hint = opts.hint;
  }

  get [BRAND](): true {
    return true;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== 'object' || value === null) return false;
    if (this === JigtreeError) return (value as Record<symbol, unknown>)[BRAND] === true;
    return Function.prototype[Symbol.hasInstance].call(this, value);
  }

  /** Adds a context prefix in place (ostree's GLNX_AUTO_PREFIX_ERROR). */
  prefix(context: string): this {
    this.message = `${context}: ${this.message}`;
    (this.data.context ??= []).unshift(context);
    return this;
  }

  toJSON(): { name: string; code: ErrorCode; message: string; data: ErrorData; hint?: string } {
    return { name: this.name, code: this.code, message: this.message, data: this.data, ...(this.hint === undefined ? {} : { hint: this.hint }) };
  }
}

/** Bad command-line flags or arguments (CLI exit 2). */
export class UsageError extends JigtreeError {
  constructor(message: string, opts: { hint?: string } = {}) {
    super('E_USAGE', message, opts);
  }
}

/** Formats whose parsers report FormatError. */
export type FormatName =
  | 'rpm' | 'rpm-header' | 'cpio' | 'deb' | 'ar' | 'tar' | 'deb822' | 'gzip' | 'xz' | 'zstd' | 'bzip2'
  | 'rpm-version' | 'rpm-nevra' | 'deb-version' | 'gvariant' | 'ostree' | 'xml' | 'rpm-dep'
  | 'package-index' | 'lockfile' | 'json' | 'yaml' | 'openpgp' | 'jigdo';

/**
 * Input that does not follow its format. `file` and `offset` (byte offset in the named stream,
 * e.g. the decompressed data.tar) say where; the message says what was expected there.
 */
export class FormatError extends JigtreeError {
  readonly format: FormatName;
  readonly offset: number | undefined;

  constructor(format: FormatName, message: string, opts: { offset?: number; file?: string; cause?: unknown; data?: ErrorData } = {}) {
    const where = opts.offset === undefined ? '' : ` at byte ${opts.offset}`;
    const file = opts.file === undefined ? '' : `${opts.file}: `;
    super('E_FORMAT', `${file}${format}${where}: ${message}`, {
      data: { ...opts.data, format, ...(opts.offset === undefined ? {} : { offset: opts.offset }), ...(opts.file === undefined ? {} : { file: opts.file }) },
      cause: opts.cause,
    });
    this.format = format;
    this.offset = opts.offset;
  }
}

/** Content that does not match its recorded digest or size. */
export class IntegrityError extends JigtreeError {
  constructor(what: string, expected: string, actual: string, opts: { data?: ErrorData } = {}) {
    super('E_INTEGRITY', `${what}: expected ${expected}, got ${actual}`, { data: { ...opts.data, what, expected, actual } });
  }
}

/** A named thing (file, ref, object, package) does not exist. */
export class NotFoundError extends JigtreeError {
  constructor(what: string, opts: { cause?: unknown } = {}) {
    super('E_NOT_FOUND', `${what}: not found`, { data: { what }, cause: opts.cause });
  }
}

/** One schema violation: a JSON pointer into the input (RFC 6901) and what was expected there. */
export type ValidationIssue = { pointer: string; message: string };

/**
 * Input that parsed but does not fit its schema (a treefile, a lockfile); CLI exit 2. The message
 * names the file and the first issue; `issues` has all of them.
 */
export class ValidationError extends JigtreeError {
  readonly issues: ValidationIssue[];

  constructor(file: string, issues: ValidationIssue[], opts: { hint?: string } = {}) {
    const first = issues[0];
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
    const where = first === undefined ? '' : `${first.pointer === '' ? '' : `${first.pointer}: `}${first.message}`;
    super('E_VALIDATION', `${file}: ${where}${more}`, { data: { file, issues }, ...opts });
    this.issues = issues;
  }
}

/** Strips `user:password@` and query strings from a URL before it reaches a message (convention 6). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username !== '' || u.password !== '') {
      u.username = '';
      u.password = '';
    }
    u.search = '';
    return u.toString();
  } catch {
    return url.replace(/\/\/[^/@]*@/, '//');
  }
}

/** A download failed: the server answered with an error status, or could not be reached. */
export class FetchError extends JigtreeError {
  readonly status: number | undefined;

  constructor(url: string, why: string, opts: { status?: number; cause?: unknown } = {}) {
    const safe = redactUrl(url);
    super('E_FETCH', `${safe}: ${why}`, { data: { url: safe, ...(opts.status === undefined ? {} : { status: opts.status }) }, cause: opts.cause });
    this.status = opts.status;
  }
}

/**
 * The requested package set cannot be installed; `data.problems` holds each problem's text
 * (the solver's explanation, in dnf's or apt's words).
 */
export class SolveError extends JigtreeError {
  constructor(what: string, problems: readonly string[]) {
    // One problem goes on the first line, so the one-line error names it.
    super('E_SOLVE', problems.length === 1 ? `${what}: the package set cannot be installed: ${problems[0] ?? ''}` : `${what}: ${problems.length} problems prevent installing the package set:\n${problems.join('\n')}`, { data: { problems: [...problems] } });
  }
}

/**
 * Signed metadata that cannot be trusted: no signature, a bad one, one by a key that is not
 * configured, or a Release whose Valid-Until has passed.
 */
export class SignatureError extends JigtreeError {
  constructor(what: string, why: string, opts: { data?: ErrorData; hint?: string } = {}) {
    super('E_SIGNATURE', `${what}: ${why}`, { data: { ...opts.data, what }, ...(opts.hint === undefined ? {} : { hint: opts.hint }) });
  }
}

/** A file system operation failed (permission denied, a directory where a file was expected...). */
export class IoError extends JigtreeError {
  constructor(path: string, err: NodeJS.ErrnoException) {
    const why: Record<string, string> = { EISDIR: 'is a directory', EACCES: 'permission denied', EPERM: 'operation not permitted', ENOTDIR: 'a parent is not a directory', ENOSPC: 'no space left on device', EROFS: 'read-only file system' };
    super('E_IO', `${path}: ${why[err.code ?? ''] ?? err.message}`, { data: { path, errno: err.code }, cause: err });
  }
}

/** Turns a Node fs error into NotFoundError or IoError naming the path; anything else is returned as is. */
export function fsError(path: string, err: unknown): unknown {
  if (!(err instanceof Error) || err instanceof JigtreeError || typeof (err as NodeJS.ErrnoException).code !== 'string') return err;
  const e = err as NodeJS.ErrnoException;
  return e.code === 'ENOENT' ? new NotFoundError(path, { cause: e }) : new IoError(path, e);
}

/** A bug in jigtree: an invariant was broken. */
export class InternalError extends JigtreeError {
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super('E_INTERNAL', message, { cause: opts.cause });
  }
}

/**
 * Runs fn; a JigtreeError escaping it gets `context: ` prefixed (not wrapped), so the user sees
 * one line naming where it happened.
 */
export async function withContext<T>(context: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof JigtreeError) throw err.prefix(context);
    throw err;
  }
}
