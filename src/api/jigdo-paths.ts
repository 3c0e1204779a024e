// Shared by the jigdo verbs: where a jigdo package installs its set, and override headers.
import type { ImportOverride } from './compose/import-package.js';
import type { JigdoMeta } from '../jigdo/index.js';

/** Where a jigdo package installs its set (one directory per tree, named after the package). */
export const JIGDO_INSTALL_DIR = '/usr/share/jigtree/jigdo';

/** An override as importPackage takes it. */
export function headerOfMeta(m: JigdoMeta): ImportOverride {
  return { uid: m.uid, gid: m.gid, mode: m.mode, xattrs: m.xattrs.map(([name, v]) => ({ name, value: new Uint8Array(Buffer.from(v, 'base64')) })) };
}
