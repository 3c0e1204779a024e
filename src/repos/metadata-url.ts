// URLs of metadata files: a repo's baseurl joined with paths from its own metadata (apt Release
// paths, rpm-md `<location href>` with optional `xml:base`, depsolve.md §4.1, §4.6). Pure.
import { redactUrl, UsageError } from '../core/index.js';
import type { MetadataCompression } from './types.js';

/** The protocols load.ts can read from. */
export type UrlScheme = 'file' | 'http';

/** `file` or `http` (http and https) for an absolute URL; UsageError naming the repo otherwise. */
export function urlScheme(url: string, repoId: string): UrlScheme {
  if (url.startsWith('file:')) return 'file';
  if (url.startsWith('http://') || url.startsWith('https://')) return 'http';
  throw new UsageError(`repo ${repoId}: unsupported URL ${JSON.stringify(redactUrl(url))}: expected file:///abs/dir or http(s)://host/path`);
}

/**
 * `base` + `/` + `rel`, with `rel` percent-encoded where a file name would otherwise change the
 * URL's meaning (`%`, `?`, `#`, spaces...). Path separators in `rel` are kept; a trailing slash
 * on `base` is tolerated.
 */
export function joinUrl(base: string, rel: string): string {
  const b = base.endsWith('/') ? base.slice(0, -1) : base;
  const r = encodeURI(rel.startsWith('/') ? rel.slice(1) : rel).replace(/\?/g, '%3F').replace(/#/g, '%23');
  return `${b}/${r}`;
}

/**
 * Where an rpm-md `<location href>` points: relative to the repo's baseurl, or to `xml:base`
 * when the metadata gives one (createrepo_c `--baseurl`; depsolve.md §4.1).
 */
export function locationUrl(baseurl: string, href: string, xmlBase?: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(href)) return href;
  return joinUrl(xmlBase ?? baseurl, href);
}

/** Compression by file name (depsolve.md §4.4: choose by extension, confirm by magic). */
export function compressionOfName(name: string): MetadataCompression {
  if (name.endsWith('.gz')) return 'gzip';
  if (name.endsWith('.xz')) return 'xz';
  if (name.endsWith('.zst')) return 'zstd';
  if (name.endsWith('.bz2')) return 'bzip2';
  return 'none';
}

/** Magic bytes of each compressed format (depsolve.md §4.4). */
const MAGIC: Record<Exclude<MetadataCompression, 'none'>, number[]> = {
  gzip: [0x1f, 0x8b],
  xz: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00],
  zstd: [0x28, 0xb5, 0x2f, 0xfd],
  bzip2: [0x42, 0x5a, 0x68],
};

/** The compression whose magic `head` starts with, or 'none'. */
export function compressionOfBytes(head: Uint8Array): MetadataCompression {
  for (const [kind, magic] of Object.entries(MAGIC) as [Exclude<MetadataCompression, 'none'>, number[]][]) {
    if (head.length >= magic.length && magic.every((b, i) => head[i] === b)) return kind;
  }
  return 'none';
}

/** Names the bytes for a message: their compression, or the first bytes in hex. */
export function describeHead(head: Uint8Array): string {
  const kind = compressionOfBytes(head);
  if (kind !== 'none') return `${kind} data`;
  return `bytes ${[...head.subarray(0, 6)].map((b) => b.toString(16).padStart(2, '0')).join(' ')}`;
}
