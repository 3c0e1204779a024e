// Package identities and version orders for RPM and Debian (pure).
export { rpmvercmp, parseRpmEvr, formatRpmEvr, compareRpmVersions, type RpmEvr } from './vercmp-rpm.js';
export { parseRpmNevra, formatRpmNevra, type Nevra } from './nevra.js';
export { parseDebianVersion, formatDebianVersion, compareDebianVersions, verrevcmp, type DebianVersion } from './vercmp-deb.js';
