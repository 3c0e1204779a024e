/**
 * RPM header tag numbers, data types and flag bits (pure). The field tables below mirror rpm's
 * include/rpm/rpmtag.h (tag numbers and the type comments `s`, `s[]`, `i`, ... from which rpm
 * generates its own tag table), rpmds.h (RPMSENSE_*), rpmfiles.h (RPMFILE_*) and rpmpgp.h
 * (PGPHASHALGO_*). Names are rpm's tag names in lower case, as `rpm --querytags` lists them.
 */

/** Header data types (rpmtag.h rpmTagType_e). */
export const RPM_TYPE = {
  NULL: 0,
  CHAR: 1,
  INT8: 2,
  INT16: 3,
  INT32: 4,
  INT64: 5,
  STRING: 6,
  BIN: 7,
  STRING_ARRAY: 8,
  I18NSTRING: 9,
} as const;

/** A header data type number (1..9 are valid on disk). */
export type RpmType = (typeof RPM_TYPE)[keyof typeof RPM_TYPE];

/**
 * Per type: element size in bytes (0 = variable-length NUL-terminated strings) and the alignment
 * its data must have inside the data store (header.c typeSizes/typeAlign).
 */
export const TYPE_INFO: Readonly<Record<RpmType, { name: string; size: number; align: number }>> = {
  0: { name: 'null', size: 0, align: 1 },
  1: { name: 'char', size: 1, align: 1 },
  2: { name: 'int8', size: 1, align: 1 },
  3: { name: 'int16', size: 2, align: 2 },
  4: { name: 'int32', size: 4, align: 4 },
  5: { name: 'int64', size: 8, align: 8 },
  6: { name: 'string', size: 0, align: 1 },
  7: { name: 'bin', size: 1, align: 1 },
  8: { name: 'string_array', size: 0, align: 1 },
  9: { name: 'i18nstring', size: 0, align: 1 },
};

/** True for the string class (STRING, STRING_ARRAY, I18NSTRING), which rpm lets stand in for each other. */
export function isStringType(type: number): boolean {
  return type === RPM_TYPE.STRING || type === RPM_TYPE.STRING_ARRAY || type === RPM_TYPE.I18NSTRING;
}

/**
 * Type letters of rpmtag.h's comments: `s` string, `s[]` string array, `s{}` i18n string,
 * `i`/`i[]` int32, `h[]` int16, `c[]` char, `l`/`l[]` int64, `x` binary. A trailing `[]` means the
 * tag is an array (so `pkg info --json` shows a list even for one element).
 */
export type TagTypeCode = 's' | 's[]' | 's{}' | 'i' | 'i[]' | 'h[]' | 'c[]' | 'l' | 'l[]' | 'x' | 'internal';

/** On-disk type of each type code ('internal' tags have no declared type and are not checked). */
export const TYPE_OF_CODE: Readonly<Record<TagTypeCode, RpmType | undefined>> = {
  's': RPM_TYPE.STRING,
  's[]': RPM_TYPE.STRING_ARRAY,
  's{}': RPM_TYPE.I18NSTRING,
  'i': RPM_TYPE.INT32,
  'i[]': RPM_TYPE.INT32,
  'h[]': RPM_TYPE.INT16,
  'c[]': RPM_TYPE.CHAR,
  'l': RPM_TYPE.INT64,
  'l[]': RPM_TYPE.INT64,
  'x': RPM_TYPE.BIN,
  'internal': undefined,
};

/** Region tags (header.c ENTRY_IS_REGION): the first index entry of a header names its region. */
export const REGION_TAG = { HEADERIMAGE: 61, HEADERSIGNATURES: 62, HEADERIMMUTABLE: 63 } as const;
/** Smallest tag number allowed for an ordinary entry (header.c hdrchkTag: HEADER_I18NTABLE). */
export const MIN_TAG = 100;

/** Tag numbers the reader uses by name (rpmtag.h rpmTag_e). */
export const TAG = {
  HEADERI18NTABLE: 100,
  NAME: 1000, VERSION: 1001, RELEASE: 1002, EPOCH: 1003, SUMMARY: 1004, DESCRIPTION: 1005,
  ARCH: 1022, PREIN: 1023, POSTIN: 1024, PREUN: 1025, POSTUN: 1026, OLDFILENAMES: 1027,
  FILESIZES: 1028, FILEMODES: 1030, FILERDEVS: 1033, FILEMTIMES: 1034, FILEDIGESTS: 1035,
  FILELINKTOS: 1036, FILEFLAGS: 1037, FILEUSERNAME: 1039, FILEGROUPNAME: 1040, ARCHIVESIZE: 1046,
  PROVIDENAME: 1047, REQUIREFLAGS: 1048, REQUIRENAME: 1049, REQUIREVERSION: 1050,
  CONFLICTFLAGS: 1053, CONFLICTNAME: 1054, CONFLICTVERSION: 1055,
  TRIGGERSCRIPTS: 1065, TRIGGERNAME: 1066, TRIGGERVERSION: 1067, TRIGGERFLAGS: 1068, TRIGGERINDEX: 1069,
  VERIFYSCRIPT: 1079, PREINPROG: 1085, POSTINPROG: 1086, PREUNPROG: 1087, POSTUNPROG: 1088,
  OBSOLETENAME: 1090, VERIFYSCRIPTPROG: 1091, TRIGGERSCRIPTPROG: 1092,
  FILEDEVICES: 1095, FILEINODES: 1096, PROVIDEFLAGS: 1112, PROVIDEVERSION: 1113,
  OBSOLETEFLAGS: 1114, OBSOLETEVERSION: 1115, DIRINDEXES: 1116, BASENAMES: 1117, DIRNAMES: 1118,
  PAYLOADFORMAT: 1124, PAYLOADCOMPRESSOR: 1125, PAYLOADFLAGS: 1126,
  PRETRANS: 1151, POSTTRANS: 1152, PRETRANSPROG: 1153, POSTTRANSPROG: 1154,
  LONGFILESIZES: 5008, LONGSIZE: 5009, FILECAPS: 5010, FILEDIGESTALGO: 5011,
  PREINFLAGS: 5020, POSTINFLAGS: 5021, PREUNFLAGS: 5022, POSTUNFLAGS: 5023, PRETRANSFLAGS: 5024,
  POSTTRANSFLAGS: 5025, VERIFYSCRIPTFLAGS: 5026, TRIGGERSCRIPTFLAGS: 5027,
  ORDERNAME: 5035, ORDERVERSION: 5036, ORDERFLAGS: 5037,
  RECOMMENDNAME: 5046, RECOMMENDVERSION: 5047, RECOMMENDFLAGS: 5048,
  SUGGESTNAME: 5049, SUGGESTVERSION: 5050, SUGGESTFLAGS: 5051,
  SUPPLEMENTNAME: 5052, SUPPLEMENTVERSION: 5053, SUPPLEMENTFLAGS: 5054,
  ENHANCENAME: 5055, ENHANCEVERSION: 5056, ENHANCEFLAGS: 5057,
  FILETRIGGERSCRIPTS: 5066, FILETRIGGERSCRIPTPROG: 5067, FILETRIGGERSCRIPTFLAGS: 5068,
  FILETRIGGERNAME: 5069, FILETRIGGERINDEX: 5070, FILETRIGGERVERSION: 5071, FILETRIGGERFLAGS: 5072,
  TRANSFILETRIGGERSCRIPTS: 5076, TRANSFILETRIGGERSCRIPTPROG: 5077, TRANSFILETRIGGERSCRIPTFLAGS: 5078,
  TRANSFILETRIGGERNAME: 5079, TRANSFILETRIGGERINDEX: 5080, TRANSFILETRIGGERVERSION: 5081,
  TRANSFILETRIGGERFLAGS: 5082, FILETRIGGERPRIORITIES: 5084, TRANSFILETRIGGERPRIORITIES: 5085,
  PAYLOADDIGEST: 5092, PAYLOADDIGESTALGO: 5093, PAYLOADDIGESTALT: 5097,
  PREUNTRANS: 5103, POSTUNTRANS: 5104, PREUNTRANSPROG: 5105, POSTUNTRANSPROG: 5106,
  PREUNTRANSFLAGS: 5107, POSTUNTRANSFLAGS: 5108,
} as const;

/** Signature header tags (rpmtag.h rpmSigTag_e; 278 is rpm 6's RPMSIGTAG_OPENPGP). */
export const SIGTAG = {
  SIZE: 1000, LEMD5_1: 1001, PGP: 1002, LEMD5_2: 1003, MD5: 1004, GPG: 1005, PGP5: 1006,
  PAYLOADSIZE: 1007, RESERVEDSPACE: 1008,
  BADSHA1_1: 264, BADSHA1_2: 265, DSA: 267, RSA: 268, SHA1: 269, LONGSIZE: 270, LONGARCHIVESIZE: 271,
  SHA256: 273, FILESIGNATURES: 274, FILESIGNATURELENGTH: 275, VERITYSIGNATURES: 276,
  VERITYSIGNATUREALGO: 277, OPENPGP: 278, SHA3_256: 279,
} as const;

/** Main header tags: number → [name, declared type] (rpmtag.h; `internal` = no type comment). */
export const HEADER_TAGS: ReadonlyMap<number, readonly [name: string, type: TagTypeCode]> = new Map<number, readonly [string, TagTypeCode]>([
  [100, ['headeri18ntable', 's[]']],
  [257, ['sigsize', 'i']], [259, ['sigpgp', 'x']], [261, ['sigmd5', 'x']], [262, ['siggpg', 'x']],
  [266, ['pubkeys', 's[]']], [267, ['dsaheader', 'x']], [268, ['rsaheader', 'x']], [269, ['sha1header', 's']],
  [270, ['longsigsize', 'l']], [271, ['longarchivesize', 'l']], [273, ['sha256header', 's']],
  [276, ['veritysignatures', 's[]']], [277, ['veritysignaturealgo', 'i']], [278, ['openpgp', 's[]']],
  [279, ['sha3_256header', 's']],
  [1000, ['name', 's']], [1001, ['version', 's']], [1002, ['release', 's']], [1003, ['epoch', 'i']],
  [1004, ['summary', 's{}']], [1005, ['description', 's{}']], [1006, ['buildtime', 'i']],
  [1007, ['buildhost', 's']], [1008, ['installtime', 'i']], [1009, ['size', 'i']],
  [1010, ['distribution', 's']], [1011, ['vendor', 's']], [1012, ['gif', 'x']], [1013, ['xpm', 'x']],
  [1014, ['license', 's']], [1015, ['packager', 's']], [1016, ['group', 's{}']],
  [1017, ['changelog', 'internal']], [1018, ['source', 's[]']], [1019, ['patch', 's[]']],
  [1020, ['url', 's']], [1021, ['os', 's']], [1022, ['arch', 's']], [1023, ['prein', 's']],
  [1024, ['postin', 's']], [1025, ['preun', 's']], [1026, ['postun', 's']],
  [1027, ['oldfilenames', 's[]']], [1028, ['filesizes', 'i[]']], [1029, ['filestates', 'c[]']],
  [1030, ['filemodes', 'h[]']], [1031, ['fileuids', 'internal']], [1032, ['filegids', 'internal']],
  [1033, ['filerdevs', 'h[]']], [1034, ['filemtimes', 'i[]']], [1035, ['filedigests', 's[]']],
  [1036, ['filelinktos', 's[]']], [1037, ['fileflags', 'i[]']], [1038, ['root', 'internal']],
  [1039, ['fileusername', 's[]']], [1040, ['filegroupname', 's[]']], [1041, ['exclude', 'internal']],
  [1042, ['exclusive', 'internal']], [1043, ['icon', 'x']], [1044, ['sourcerpm', 's']],
  [1045, ['fileverifyflags', 'i[]']], [1046, ['archivesize', 'i']], [1047, ['providename', 's[]']],
  [1048, ['requireflags', 'i[]']], [1049, ['requirename', 's[]']], [1050, ['requireversion', 's[]']],
  [1051, ['nosource', 'i[]']], [1052, ['nopatch', 'i[]']], [1053, ['conflictflags', 'i[]']],
  [1054, ['conflictname', 's[]']], [1055, ['conflictversion', 's[]']],
  [1056, ['defaultprefix', 'internal']], [1057, ['buildroot', 'internal']],
  [1058, ['installprefix', 'internal']], [1059, ['excludearch', 's[]']], [1060, ['excludeos', 's[]']],
  [1061, ['exclusivearch', 's[]']], [1062, ['exclusiveos', 's[]']], [1063, ['autoreqprov', 'internal']],
  [1064, ['rpmversion', 's']], [1065, ['triggerscripts', 's[]']], [1066, ['triggername', 's[]']],
  [1067, ['triggerversion', 's[]']], [1068, ['triggerflags', 'i[]']], [1069, ['triggerindex', 'i[]']],
  [1079, ['verifyscript', 's']], [1080, ['changelogtime', 'i[]']], [1081, ['changelogname', 's[]']],
  [1082, ['changelogtext', 's[]']], [1083, ['brokenmd5', 'internal']], [1084, ['prereq', 'internal']],
  [1085, ['preinprog', 's[]']], [1086, ['postinprog', 's[]']], [1087, ['preunprog', 's[]']],
  [1088, ['postunprog', 's[]']], [1089, ['buildarchs', 's[]']], [1090, ['obsoletename', 's[]']],
  [1091, ['verifyscriptprog', 's[]']], [1092, ['triggerscriptprog', 's[]']], [1093, ['docdir', 'internal']],
  [1094, ['cookie', 's']], [1095, ['filedevices', 'i[]']], [1096, ['fileinodes', 'i[]']],
  [1097, ['filelangs', 's[]']], [1098, ['prefixes', 's[]']], [1099, ['instprefixes', 's[]']],
  [1100, ['triggerin', 'internal']], [1101, ['triggerun', 'internal']], [1102, ['triggerpostun', 'internal']],
  [1103, ['autoreq', 'internal']], [1104, ['autoprov', 'internal']], [1105, ['capability', 'internal']],
  [1106, ['sourcepackage', 'i']], [1107, ['oldorigfilenames', 'internal']], [1108, ['buildprereq', 'internal']],
  [1109, ['buildrequires', 'internal']], [1110, ['buildconflicts', 'internal']],
  [1111, ['buildmacros', 'internal']], [1112, ['provideflags', 'i[]']], [1113, ['provideversion', 's[]']],
  [1114, ['obsoleteflags', 'i[]']], [1115, ['obsoleteversion', 's[]']], [1116, ['dirindexes', 'i[]']],
  [1117, ['basenames', 's[]']], [1118, ['dirnames', 's[]']], [1119, ['origdirindexes', 'i[]']],
  [1120, ['origbasenames', 's[]']], [1121, ['origdirnames', 's[]']], [1122, ['optflags', 's']],
  [1123, ['disturl', 's']], [1124, ['payloadformat', 's']], [1125, ['payloadcompressor', 's']],
  [1126, ['payloadflags', 's']], [1127, ['installcolor', 'i']], [1128, ['installtid', 'i']],
  [1129, ['removetid', 'i']], [1130, ['sha1rhn', 'internal']], [1131, ['rhnplatform', 's']],
  [1132, ['platform', 's']], [1133, ['patchesname', 's[]']], [1134, ['patchesflags', 'i[]']],
  [1135, ['patchesversion', 's[]']], [1136, ['cachectime', 'i']], [1137, ['cachepkgpath', 's']],
  [1138, ['cachepkgsize', 'i']], [1139, ['cachepkgmtime', 'i']], [1140, ['filecolors', 'i[]']],
  [1141, ['fileclass', 'i[]']], [1142, ['classdict', 's[]']], [1143, ['filedependsx', 'i[]']],
  [1144, ['filedependsn', 'i[]']], [1145, ['dependsdict', 'i[]']], [1146, ['sourcepkgid', 'x']],
  [1147, ['filecontexts', 's[]']], [1148, ['fscontexts', 's[]']], [1149, ['recontexts', 's[]']],
  [1150, ['policies', 's[]']], [1151, ['pretrans', 's']], [1152, ['posttrans', 's']],
  [1153, ['pretransprog', 's[]']], [1154, ['posttransprog', 's[]']], [1155, ['disttag', 's']],
  [1156, ['oldsuggestsname', 's[]']], [1157, ['oldsuggestsversion', 's[]']], [1158, ['oldsuggestsflags', 'i[]']],
  [1159, ['oldenhancesname', 's[]']], [1160, ['oldenhancesversion', 's[]']], [1161, ['oldenhancesflags', 'i[]']],
  [1162, ['priority', 'i[]']], [1163, ['cvsid', 's']], [1164, ['blinkpkgid', 's[]']],
  [1165, ['blinkhdrid', 's[]']], [1166, ['blinknevra', 's[]']], [1167, ['flinkpkgid', 's[]']],
  [1168, ['flinkhdrid', 's[]']], [1169, ['flinknevra', 's[]']], [1170, ['packageorigin', 's']],
  [1171, ['triggerprein', 'internal']], [1172, ['buildsuggests', 'internal']],
  [1173, ['buildenhances', 'internal']], [1174, ['scriptstates', 'i[]']], [1175, ['scriptmetrics', 'i[]']],
  [1176, ['buildcpuclock', 'i']], [1177, ['filedigestalgos', 'i[]']], [1178, ['variants', 's[]']],
  [1179, ['xmajor', 'i']], [1180, ['xminor', 'i']], [1181, ['repotag', 's']], [1182, ['keywords', 's[]']],
  [1183, ['buildplatforms', 's[]']], [1184, ['packagecolor', 'i']], [1185, ['packageprefcolor', 'i']],
  [1186, ['xattrsdict', 's[]']], [1187, ['filexattrsx', 'i[]']], [1188, ['depattrsdict', 's[]']],
  [1189, ['conflictattrsx', 'i[]']], [1190, ['obsoleteattrsx', 'i[]']], [1191, ['provideattrsx', 'i[]']],
  [1192, ['requireattrsx', 'i[]']], [1193, ['buildprovides', 'internal']], [1194, ['buildobsoletes', 'internal']],
  [1195, ['dbinstance', 'i']], [1196, ['nvra', 's']],
  [5000, ['filenames', 's[]']], [5001, ['fileprovide', 's[]']], [5002, ['filerequire', 's[]']],
  [5003, ['fsnames', 's[]']], [5004, ['fssizes', 'l[]']], [5005, ['triggerconds', 's[]']],
  [5006, ['triggertype', 's[]']], [5007, ['origfilenames', 's[]']], [5008, ['longfilesizes', 'l[]']],
  [5009, ['longsize', 'l']], [5010, ['filecaps', 's[]']], [5011, ['filedigestalgo', 'i']],
  [5012, ['bugurl', 's']], [5013, ['evr', 's']], [5014, ['nvr', 's']], [5015, ['nevr', 's']],
  [5016, ['nevra', 's']], [5017, ['headercolor', 'i']], [5018, ['verbose', 'i']], [5019, ['epochnum', 'i']],
  [5020, ['preinflags', 'i']], [5021, ['postinflags', 'i']], [5022, ['preunflags', 'i']],
  [5023, ['postunflags', 'i']], [5024, ['pretransflags', 'i']], [5025, ['posttransflags', 'i']],
  [5026, ['verifyscriptflags', 'i']], [5027, ['triggerscriptflags', 'i[]']], [5029, ['collections', 's[]']],
  [5030, ['policynames', 's[]']], [5031, ['policytypes', 's[]']], [5032, ['policytypesindexes', 'i[]']],
  [5033, ['policyflags', 'i[]']], [5034, ['vcs', 's']], [5035, ['ordername', 's[]']],
  [5036, ['orderversion', 's[]']], [5037, ['orderflags', 'i[]']], [5038, ['mssfmanifest', 's[]']],
  [5039, ['mssfdomain', 's[]']], [5040, ['instfilenames', 's[]']], [5041, ['requirenevrs', 's[]']],
  [5042, ['providenevrs', 's[]']], [5043, ['obsoletenevrs', 's[]']], [5044, ['conflictnevrs', 's[]']],
  [5045, ['filenlinks', 'i[]']], [5046, ['recommendname', 's[]']], [5047, ['recommendversion', 's[]']],
  [5048, ['recommendflags', 'i[]']], [5049, ['suggestname', 's[]']], [5050, ['suggestversion', 's[]']],
  [5051, ['suggestflags', 'i[]']], [5052, ['supplementname', 's[]']], [5053, ['supplementversion', 's[]']],
  [5054, ['supplementflags', 'i[]']], [5055, ['enhancename', 's[]']], [5056, ['enhanceversion', 's[]']],
  [5057, ['enhanceflags', 'i[]']], [5058, ['recommendnevrs', 's[]']], [5059, ['suggestnevrs', 's[]']],
  [5060, ['supplementnevrs', 's[]']], [5061, ['enhancenevrs', 's[]']], [5062, ['encoding', 's']],
  [5063, ['filetriggerin', 'internal']], [5064, ['filetriggerun', 'internal']],
  [5065, ['filetriggerpostun', 'internal']], [5066, ['filetriggerscripts', 's[]']],
  [5067, ['filetriggerscriptprog', 's[]']], [5068, ['filetriggerscriptflags', 'i[]']],
  [5069, ['filetriggername', 's[]']], [5070, ['filetriggerindex', 'i[]']], [5071, ['filetriggerversion', 's[]']],
  [5072, ['filetriggerflags', 'i[]']], [5073, ['transfiletriggerin', 'internal']],
  [5074, ['transfiletriggerun', 'internal']], [5075, ['transfiletriggerpostun', 'internal']],
  [5076, ['transfiletriggerscripts', 's[]']], [5077, ['transfiletriggerscriptprog', 's[]']],
  [5078, ['transfiletriggerscriptflags', 'i[]']], [5079, ['transfiletriggername', 's[]']],
  [5080, ['transfiletriggerindex', 'i[]']], [5081, ['transfiletriggerversion', 's[]']],
  [5082, ['transfiletriggerflags', 'i[]']], [5083, ['removepathpostfixes', 'internal']],
  [5084, ['filetriggerpriorities', 'i[]']], [5085, ['transfiletriggerpriorities', 'i[]']],
  [5086, ['filetriggerconds', 's[]']], [5087, ['filetriggertype', 's[]']],
  [5088, ['transfiletriggerconds', 's[]']], [5089, ['transfiletriggertype', 's[]']],
  [5090, ['filesignatures', 's[]']], [5091, ['filesignaturelength', 'i']], [5092, ['payloaddigest', 's[]']],
  [5093, ['payloaddigestalgo', 'i']], [5094, ['autoinstalled', 'i']], [5095, ['identity', 's']],
  [5096, ['modularitylabel', 's']], [5097, ['payloaddigestalt', 's[]']], [5098, ['archsuffix', 's']],
  [5099, ['spec', 's']], [5100, ['translationurl', 's']], [5101, ['upstreamreleases', 's']],
  [5102, ['sourcelicense', 'internal']], [5103, ['preuntrans', 's']], [5104, ['postuntrans', 's']],
  [5105, ['preuntransprog', 's[]']], [5106, ['postuntransprog', 's[]']], [5107, ['preuntransflags', 'i']],
  [5108, ['postuntransflags', 'i']],
]);

/**
 * Signature header tags: number → [name, expected type]. rpm does not type-check these on read
 * (header.c: "Can't typecheck signature header tags, sigh"); we report them by these names.
 */
export const SIGNATURE_TAGS: ReadonlyMap<number, readonly [name: string, type: TagTypeCode]> = new Map<number, readonly [string, TagTypeCode]>([
  [1000, ['size', 'i']], [1001, ['lemd5_1', 'x']], [1002, ['pgp', 'x']], [1003, ['lemd5_2', 'x']],
  [1004, ['md5', 'x']], [1005, ['gpg', 'x']], [1006, ['pgp5', 'x']], [1007, ['payloadsize', 'i']],
  [1008, ['reservedspace', 'x']], [264, ['badsha1_1', 'internal']], [265, ['badsha1_2', 'internal']],
  [267, ['dsaheader', 'x']], [268, ['rsaheader', 'x']], [269, ['sha1header', 's']],
  [270, ['longsize', 'l']], [271, ['longarchivesize', 'l']], [273, ['sha256header', 's']],
  [274, ['filesignatures', 's[]']], [275, ['filesignaturelength', 'i']],
  [276, ['veritysignatures', 's[]']], [277, ['veritysignaturealgo', 'i']], [278, ['openpgp', 's[]']],
  [279, ['sha3_256header', 's']],
]);

/** File flag bits (rpmfiles.h rpmfileAttrs_e) that ArchiveEntry.flags reports. */
export const RPMFILE = {
  CONFIG: 1 << 0, DOC: 1 << 1, MISSINGOK: 1 << 3, NOREPLACE: 1 << 4, GHOST: 1 << 6,
  LICENSE: 1 << 7, README: 1 << 8, ARTIFACT: 1 << 12,
} as const;

/** Dependency sense comparison bits (rpmds.h RPMSENSE_LESS/GREATER/EQUAL). */
export const RPMSENSE = { LESS: 1 << 1, GREATER: 1 << 2, EQUAL: 1 << 3 } as const;

/**
 * Dependency qualifier bits (rpmds.h rpmsenseFlags_e, beyond the comparison): bit → the name
 * rpm's spec syntax uses (`Requires(pre)`), or rpm's own word for generated/internal ones.
 */
export const RPMSENSE_QUALIFIERS: readonly (readonly [bit: number, name: string])[] = [
  [1 << 5, 'posttrans'], [1 << 6, 'prereq'], [1 << 7, 'pretrans'], [1 << 8, 'interp'],
  [1 << 9, 'pre'], [1 << 10, 'post'], [1 << 11, 'preun'], [1 << 12, 'postun'], [1 << 13, 'verify'],
  [1 << 14, 'find-requires'], [1 << 15, 'find-provides'], [1 << 16, 'triggerin'],
  [1 << 17, 'triggerun'], [1 << 18, 'triggerpostun'], [1 << 19, 'missingok'], [1 << 20, 'preuntrans'],
  [1 << 21, 'postuntrans'], [1 << 24, 'rpmlib'], [1 << 25, 'triggerprein'], [1 << 26, 'keyring'],
  [1 << 28, 'config'], [1 << 29, 'meta'],
];

/** Trigger kinds by their RPMSENSE bit (rpmds.h RPMSENSE_TRIGGER*). */
export const TRIGGER_KINDS: readonly (readonly [bit: number, kind: 'prein' | 'in' | 'un' | 'postun'])[] = [
  [1 << 25, 'prein'], [1 << 16, 'in'], [1 << 17, 'un'], [1 << 18, 'postun'],
];

/** Digest algorithms by rpm number (rpmpgp.h PGPHASHALGO_*), as node:crypto names. */
export const DIGEST_ALGOS: ReadonlyMap<number, 'md5' | 'sha1' | 'sha256' | 'sha384' | 'sha512' | 'sha224'> = new Map([
  [1, 'md5'], [2, 'sha1'], [8, 'sha256'], [9, 'sha384'], [10, 'sha512'], [11, 'sha224'],
] as const);

/** Names of digest algorithms rpm knows but we cannot verify (for error messages). */
export const UNSUPPORTED_DIGEST_ALGOS: ReadonlyMap<number, string> = new Map([
  [3, 'ripemd160'], [5, 'md2'], [6, 'tiger192'], [7, 'haval-5-160'], [12, 'sha3-256'], [14, 'sha3-512'],
]);

/** Scriptlets: name (the body tag's name), body tag, interpreter tag, flags tag (rpmscript.c table). */
export const SCRIPTLETS: readonly (readonly [name: string, body: number, prog: number, flags: number])[] = [
  ['pretrans', TAG.PRETRANS, TAG.PRETRANSPROG, TAG.PRETRANSFLAGS],
  ['prein', TAG.PREIN, TAG.PREINPROG, TAG.PREINFLAGS],
  ['postin', TAG.POSTIN, TAG.POSTINPROG, TAG.POSTINFLAGS],
  ['preun', TAG.PREUN, TAG.PREUNPROG, TAG.PREUNFLAGS],
  ['postun', TAG.POSTUN, TAG.POSTUNPROG, TAG.POSTUNFLAGS],
  ['posttrans', TAG.POSTTRANS, TAG.POSTTRANSPROG, TAG.POSTTRANSFLAGS],
  ['preuntrans', TAG.PREUNTRANS, TAG.PREUNTRANSPROG, TAG.PREUNTRANSFLAGS],
  ['postuntrans', TAG.POSTUNTRANS, TAG.POSTUNTRANSPROG, TAG.POSTUNTRANSFLAGS],
  ['verifyscript', TAG.VERIFYSCRIPT, TAG.VERIFYSCRIPTPROG, TAG.VERIFYSCRIPTFLAGS],
];

/** Dependency kinds: name → [name tag, flags tag, version tag] (rpmds.c depTypes). */
export const DEP_KINDS: readonly (readonly [kind: string, name: number, flags: number, version: number])[] = [
  ['requires', TAG.REQUIRENAME, TAG.REQUIREFLAGS, TAG.REQUIREVERSION],
  ['provides', TAG.PROVIDENAME, TAG.PROVIDEFLAGS, TAG.PROVIDEVERSION],
  ['conflicts', TAG.CONFLICTNAME, TAG.CONFLICTFLAGS, TAG.CONFLICTVERSION],
  ['obsoletes', TAG.OBSOLETENAME, TAG.OBSOLETEFLAGS, TAG.OBSOLETEVERSION],
  ['recommends', TAG.RECOMMENDNAME, TAG.RECOMMENDFLAGS, TAG.RECOMMENDVERSION],
  ['suggests', TAG.SUGGESTNAME, TAG.SUGGESTFLAGS, TAG.SUGGESTVERSION],
  ['supplements', TAG.SUPPLEMENTNAME, TAG.SUPPLEMENTFLAGS, TAG.SUPPLEMENTVERSION],
  ['enhances', TAG.ENHANCENAME, TAG.ENHANCEFLAGS, TAG.ENHANCEVERSION],
  ['orderwithrequires', TAG.ORDERNAME, TAG.ORDERFLAGS, TAG.ORDERVERSION],
];

/** The name `pkg info --json` uses for a tag without a table entry. */
export function unknownTagName(tag: number): string {
  return `tag_${tag}`;
}
