import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** The project root. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** ../shared next to the checkout (CI clones with shared/ beside it). */
export const SHARED = process.env['JIGTREE_SHARED'] ?? path.resolve(ROOT, '../shared');
export const SHARED_DOCS = path.join(SHARED, 'docs');
export const SHARED_TOOLS = path.join(SHARED, 'tools');
/** Where generated test inputs (fixture builds, mirrors) are kept between runs. */
export const BUILD_DIR = process.env['JIGTREE_TEST_BUILD'] ?? path.join(ROOT, 'fixtures', 'build');
