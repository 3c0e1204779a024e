// Jigdo sets wrapped as ordinary packages (issue 6, `--as-package rpm|deb`), written with nothing but Node.
export { writeDebPackage, debFileName, debProvideName } from './write-deb.js';
export { writeRpmPackage, rpmFileName, rpmIsaSuffix } from './write-rpm.js';
export type { PackageDep, PackageFile, PackageProvide, PackageSpec, WritePackageOptions, WrittenPackage } from './types.js';
