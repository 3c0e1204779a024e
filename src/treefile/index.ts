// Treefiles: YAML/JSON → a validated, normalized Treefile (issues 4 and 5; treefile.md).
export type {
  AddFile, AptRepoConfig, Bootstrap, DebTreefile, JsonValue, MultilibPolicy, Origin, RemoveFromPackage, RepoConfig,
  RpmMdRepoConfig, RpmTreefile, Treefile, TreefileComposeKeys,
} from './types.js';
export { parseTreefileDocument, treefileSyntax, type TreefileDocument, type TreefileSyntax } from './document.js';
export { BOOTSTRAPS, DEFAULT_INSTALLONLY, TREEFILE_KEYS, REPO_KEYS, type MergeRule, type TreefileKeyInfo } from './schema.js';
export {
  canonicalTreefileJson, parseTreefile, resolveBaseurl, rpmBasearch, substituteVariables,
} from './normalize.js';
export { loadTreefile, type LoadTreefileOptions } from './load.js';
