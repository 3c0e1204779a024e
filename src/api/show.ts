import { UsageError } from '../core/index.js';
import { isChecksum, loadCommit, openRepo, parseChecksum, show as showObject, type Checksum, type Commit, type JsonValue, type ObjectType } from '../ostree/index.js';
import { resolveRevision } from './inspect-repo.js';

const TYPES: readonly ObjectType[] = ['commit', 'dirtree', 'dirmeta', 'file', 'commitmeta'];

/** Parses an object type name as given to `show --type`. */
export function parseObjectType(s: string): ObjectType {
  if ((TYPES as readonly string[]).includes(s)) return s as ObjectType;
  throw new UsageError(`object type ${JSON.stringify(s)}: expected one of ${TYPES.join(', ')}`);
}

/** Options of show: `object` is a revision or, with or without `type`, an object checksum. */
export type ShowOptions = { repo: string; object: string; /** An ObjectType name; checked by parseObjectType. */ type?: string };

/** What show found: the object as JSON, and for commits the decoded commit (for ostree's text form). */
export type ShowResult = { type: ObjectType; checksum: Checksum; json: Record<string, JsonValue>; commit?: Commit };

/**
 * `jigtree show OBJECT`: any object decoded to JSON. A revision names a commit; a checksum is looked
 * up among the object types present (commit first), or as `type` when given.
 */
export async function show(opts: ShowOptions): Promise<ShowResult> {
  const repo = await openRepo(opts.repo);
  let checksum: Checksum;
  let type: ObjectType | undefined = opts.type === undefined ? undefined : parseObjectType(opts.type);
  if (type !== undefined && type !== 'commit') checksum = parseChecksum(opts.object, 'object checksum');
  else if (isChecksum(opts.object)) checksum = opts.object;
  else {
    checksum = await resolveRevision(repo, opts.object);
    type = 'commit';
  }
  const json = await showObject(repo, checksum, type);
  const found = json['type'] as ObjectType;
  return { type: found, checksum, json, ...(found === 'commit' ? { commit: await loadCommit(repo, checksum) } : {}) };
}
