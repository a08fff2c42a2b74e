// The lock file pins every package by content and records no download address: npm ci takes
// each package from the configured registry and checks it against the lock's sha512 (web/.npmrc
// sets omit-lockfile-registry-resolved, so `npm install` keeps it that way).
import { readFileSync } from 'node:fs';

const lock = JSON.parse(readFileSync(new URL('../package-lock.json', import.meta.url), 'utf8'));
const problems = [];
for (const [path, entry] of Object.entries(lock.packages)) {
  if (path === '' || entry.link) continue;
  if (entry.resolved) problems.push(`${path}: records a download address (${entry.resolved})`);
  if (!/^sha512-/.test(entry.integrity ?? '')) problems.push(`${path}: no sha512 integrity`);
}
if (problems.length) {
  console.error(`package-lock.json:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`package-lock.json: ${Object.keys(lock.packages).length - 1} packages, each pinned by sha512, no download addresses`);
