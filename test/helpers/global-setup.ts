import { buildRpmFixtures } from './rpm-fixtures.js';
import { buildMinbaseMirror } from './deb-mirror.js';
import { ensureAptIndex } from './apt-oracle.js';

// Builds the generated fixtures once per test run, before any test file starts (each builder
// is idempotent and skips work whose inputs did not change), so parallel test files never race.
export default async function setup(): Promise<void> {
  await buildRpmFixtures();
  await buildMinbaseMirror();
  await ensureAptIndex();
}
