/**
 * From the composed tree to ostree objects: directories become dirmeta/dirtree (through ostree's
 * MutableTree), files keep the content object the import wrote unless compose changed their
 * owner, mode or xattrs, in which case the object is re-written with the new header from the old
 * object's bytes (the jigdo later describes such a file as an override, never as new bytes).
 */
import { S_IFDIR, S_IFLNK, S_IFREG, loadContentObject, MutableTree, writeContentBytes, writeContentStream, type Checksum, type ContentHeader, type FileMeta, type MutableDir, type Repo, type WriteStats } from '../../ostree/index.js';
import { ComposeTree, joinPath, sameEntryMeta, type EntryMeta, type FileContent } from '../../tree/index.js';

function sortedXattrs(m: EntryMeta): EntryMeta['xattrs'] {
  return [...m.xattrs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Counts of what writing the tree did beyond plain reuse. */
export type WriteTreeStats = { reheadered: number; generated: number };

/** Reads a file's bytes from the repo or from memory (for post-processing; small files). */
export async function readContent(repo: Repo, content: FileContent): Promise<Uint8Array> {
  if (content.kind === 'bytes') return content.bytes;
  const obj = await loadContentObject(repo, content.checksum as Checksum);
  const chunks: Buffer[] = [];
  for await (const c of obj.open()) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Builds ostree's MutableTree for `tree`, writing the objects it still lacks. */
export async function writeComposeTree(repo: Repo, tree: ComposeTree, stats: WriteStats, signal?: AbortSignal): Promise<{ tree: MutableTree; stats: WriteTreeStats }> {
  const out: WriteTreeStats = { reheadered: 0, generated: 0 };
  const root = tree.get('/');
  if (root?.type !== 'dir') throw new Error('compose tree without a root directory');
  const dirMeta = (m: EntryMeta): FileMeta => ({ uid: m.uid, gid: m.gid, mode: S_IFDIR | m.mode, xattrs: sortedXattrs(m) });
  const mt = new MutableTree(dirMeta(root.meta));
  const reheaded = new Map<string, Promise<Checksum>>();
  const fileChecksum = async (p: string, meta: EntryMeta, content: FileContent): Promise<Checksum> => {
    const header: ContentHeader = { uid: meta.uid, gid: meta.gid, mode: S_IFREG | meta.mode, xattrs: sortedXattrs(meta), target: '' };
    if (content.kind === 'bytes') {
      out.generated++;
      return (await writeContentBytes(repo, header, content.bytes, stats)).checksum;
    }
    if (sameEntryMeta(meta, content.objectMeta)) return content.checksum as Checksum;
    const key = `${content.checksum}|${meta.uid}:${meta.gid}:${meta.mode}|${meta.xattrs.map((x) => `${x.name}=${Buffer.from(x.value).toString('hex')}`).join(',')}`;
    let pending = reheaded.get(key);
    if (pending === undefined) {
      pending = (async () => {
        out.reheadered++;
        const obj = await loadContentObject(repo, content.checksum as Checksum);
        return (await writeContentStream(repo, header, obj.size, obj.open(), p, stats)).checksum;
      })();
      reheaded.set(key, pending);
    }
    return pending;
  };
  const visit = async (p: string, dir: MutableDir): Promise<void> => {
    signal?.throwIfAborted();
    for (const name of tree.list(p).sort()) {
      const cp = joinPath(p, name);
      const e = tree.get(cp);
      if (e === undefined) continue;
      switch (e.type) {
        case 'dir': {
          const sub: MutableDir = { meta: dirMeta(e.meta), files: new Map(), dirs: new Map() };
          dir.dirs.set(name, sub);
          await visit(cp, sub);
          break;
        }
        case 'file':
          dir.files.set(name, await fileChecksum(cp, e.meta, e.content));
          break;
        case 'symlink': {
          const header: ContentHeader = { uid: e.meta.uid, gid: e.meta.gid, mode: S_IFLNK | 0o777, xattrs: sortedXattrs(e.meta), target: e.target };
          dir.files.set(name, (await writeContentBytes(repo, header, new Uint8Array(0), stats)).checksum);
          break;
        }
      }
    }
  };
  await visit('/', mt.root);
  return { tree: mt, stats: out };
}
