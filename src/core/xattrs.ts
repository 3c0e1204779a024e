/**
 * Extended attributes of files on disk, without following symlinks (l*xattr). Node has no xattr
 * API; @napi-rs/xattr ships prebuilt binaries (no install scripts). It is loaded on first use so
 * that commands which never touch xattrs work where no binary exists for the platform.
 */
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { IoError, JigtreeError } from './errors.js';

interface XattrBinding {
  listAttributesSync(path: string): string[];
  getAttributeSync(path: string, name: string): Buffer | null;
  setAttributeSync(path: string, name: string, value: Uint8Array | string): void;
}

let binding: XattrBinding | undefined;
let loadError: unknown;

function load(): XattrBinding {
  if (binding !== undefined) return binding;
  if (loadError === undefined) {
    try {
      binding = createRequire(import.meta.url)('@napi-rs/xattr') as XattrBinding;
      return binding;
    } catch (err) {
      loadError = err;
    }
  }
  throw new JigtreeError('E_IO', `extended attributes are not available on ${process.platform}-${process.arch}: @napi-rs/xattr has no binary for it`, { cause: loadError });
}

/** True if xattrs can be read and written on this platform. */
export function xattrsAvailable(): boolean {
  try {
    load();
    return true;
  } catch {
    return false;
  }
}

const ERRNO_NAMES = new Map(Object.entries(constants.errno).map(([k, v]) => [v, k]));

/** The errno name of a binding error ("No such file or directory (os error 2)" -> ENOENT). */
function errnoOf(err: unknown): string | undefined {
  const n = /\(os error (\d+)\)/.exec(String(err))?.[1];
  return n === undefined ? undefined : ERRNO_NAMES.get(Number(n));
}

function ioError(path: string, err: unknown): unknown {
  if (err instanceof Error) return new IoError(path, Object.assign(new Error(err.message.replace(/ \(os error \d+\)$/, '')), { code: errnoOf(err) }));
  return err;
}

/** Every xattr of `path` (not following a symlink) as name/value pairs; [] where unsupported. */
export function readXattrs(path: string): { name: string; value: Uint8Array }[] {
  const x = load();
  let names: string[];
  try {
    names = x.listAttributesSync(path);
  } catch (err) {
    if (errnoOf(err) === 'EOPNOTSUPP' || errnoOf(err) === 'ENOTSUP') return [];
    throw ioError(path, err);
  }
  const out: { name: string; value: Uint8Array }[] = [];
  for (const name of names) {
    try {
      const v = x.getAttributeSync(path, name);
      if (v !== null) out.push({ name, value: new Uint8Array(v.buffer, v.byteOffset, v.length) });
    } catch (err) {
      // ostree records what llistxattr lists and can be read (ostree-format.md §4).
      const code = errnoOf(err);
      if (code === 'ENODATA' || code === 'EACCES' || code === 'EPERM') continue;
      throw ioError(path, err);
    }
  }
  return out;
}

/** One xattr of `path`, or undefined if it is not set. */
export function readXattr(path: string, name: string): Uint8Array | undefined {
  try {
    const v = load().getAttributeSync(path, name);
    return v === null ? undefined : new Uint8Array(v.buffer, v.byteOffset, v.length);
  } catch (err) {
    if (err instanceof JigtreeError) throw err;
    const code = errnoOf(err);
    if (code === 'ENODATA' || code === 'ENOTSUP' || code === 'EOPNOTSUPP') return undefined;
    throw ioError(path, err);
  }
}

/** Sets one xattr on `path` (not following a symlink). */
export function writeXattr(path: string, name: string, value: Uint8Array): void {
  try {
    load().setAttributeSync(path, name, value);
  } catch (err) {
    if (err instanceof JigtreeError) throw err;
    throw ioError(path, err);
  }
}
