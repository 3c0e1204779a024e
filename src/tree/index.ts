// The tree being composed and the pure transformations compose applies to it (issue 5).
export type { EntryMeta, FileContent, ReadContent, TreeEntry, TreeWarning, TreeXattr } from './types.js';
export { ComposeTree, DEFAULT_DIR_META, isUnder, joinPath, normalizeTreePath, resolveInTree, sameEntryMeta, splitPath } from './compose-tree.js';
export { installPackages, resolveNamedOwners, type InstallEntry, type InstallOptions, type InstallPackage, type InstallResult, type NamedOwner } from './install-packages.js';
export { applyOstreeLayout, type LayoutOptions, type LayoutResult } from './layout.js';
export { applyPostprocess, type PostprocessOptions, type PostprocessResult } from './postprocess.js';
export { addAltfiles, formatGroup, formatPasswd, parseGroup, parsePasswd, splitGroup, splitPasswd, type GroupEntry, type PasswdEntry, type SplitResult } from './passwd.js';
export { formatTmpfiles, formatTmpfilesLine, tmpfilesCanExpress, type TmpfilesLine } from './tmpfiles.js';
export { dpkgDatabase, dpkgStatusParagraph, type DpkgDatabaseEntry, type DpkgDatabaseOptions, type DpkgPackageInput } from './dpkg-database.js';
