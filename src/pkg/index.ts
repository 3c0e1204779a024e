// Package identities and version orders for RPM and Debian (pure).
export { rpmvercmp, parseRpmEvr, formatRpmEvr, compareRpmVersions, type RpmEvr } from './vercmp-rpm.js';
export { parseRpmDep, rpmDepOverlaps, RPMSENSE, type RpmDepRange } from './dep-rpm.js';
export { parseRpmNevra, formatRpmNevra, type Nevra } from './nevra.js';
export { parseDebianVersion, formatDebianVersion, compareDebianVersions, verrevcmp, type DebianVersion } from './vercmp-deb.js';
export { parseDeb822, parseDeb822Stream, foldDeb822Value, multilineDeb822Value, parseDebRelations, Deb822Paragraph, type Deb822Field, type Deb822Options, type DebRelation, type DebRelationExpr, type DebRelationOptions } from './deb822.js';
export type { DebMultiArch, DebPackageRecord, Digest, DigestAlgo, PackageRecord, RpmDepEntry, RpmPackageRecord } from './record.js';
export { isRichDep, parseRichDep, formatRichDep, formatRpmDepRange, type RichDep } from './rich-dep.js';
