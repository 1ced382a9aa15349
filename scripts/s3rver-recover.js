#!/usr/bin/env node
// Crash recovery for s3rver's data directory, run before s3rver starts (scripts/stack.sh, and the
// integration tests' throwaway S3 servers).
//
// s3rver is not crash-safe: a PUT writes the object file, then `<key>._S3rver_object.md5`, then
// `<key>._S3rver_metadata.json`, each in place. Killed in the middle, it leaves a truncated metadata file,
// and from then on every listing of the bucket — and HEAD on the bucket, which s3rver answers with a
// listing — fails with 500 InternalError until someone deletes it. Real S3 never shows a PUT it did not
// acknowledge, so this removes exactly the objects whose PUT did not finish:
//   - the metadata file is not valid JSON (killed while writing it);
//   - the object has no metadata file (killed before it was written).
// Nothing else is touched. An overwrite killed while writing the object file leaves it short with intact
// metadata: s3rver serves that (HEAD shows the short length), and `publisher verify` finds it. (File times
// cannot tell it apart: s3rver does not wait for the object's last write before writing its metadata.)
// `publisher verify --repair` puts back any live object this removes or that was left short.
//
// Usage: node scripts/s3rver-recover.js DATA_DIR        (prints one line per removed object)
'use strict';

const fs = require('fs');
const path = require('path');

const OBJECT = '._S3rver_object';
const MD5 = '._S3rver_object.md5';
const METADATA = '._S3rver_metadata.json';

const root = process.argv[2];
if (!root) {
  console.error('usage: node scripts/s3rver-recover.js DATA_DIR');
  process.exit(2);
}

let removed = 0;
let checked = 0;

function remove(dir, name, why) {
  for (const suffix of [OBJECT, MD5, METADATA]) {
    fs.rmSync(path.join(dir, name + suffix), { force: true });
  }
  removed++;
  console.log(`s3rver-recover: removed ${path.relative(root, path.join(dir, name))} (${why})`);
}

function walk(dir) {
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if (err.code === 'ENOENT') return;
    throw err;
  }

  const names = new Set(entries.filter(e => e.isFile()).map(e => e.name));
  for (const entry of entries) {
    if (entry.isDirectory()) {
      walk(path.join(dir, entry.name));
      continue;
    }

    if (entry.name.endsWith(METADATA)) {
      const name = entry.name.slice(0, -METADATA.length);
      checked++;
      const metadataPath = path.join(dir, entry.name);
      try {
        JSON.parse(fs.readFileSync(metadataPath, 'utf8'));
      } catch {
        remove(dir, name, 'half-written metadata');
      }
    } else if (entry.name.endsWith(OBJECT)) {
      const name = entry.name.slice(0, -OBJECT.length);
      if (!names.has(name + METADATA)) {
        remove(dir, name, 'no metadata: a PUT that did not finish');
      }
    }
  }
}

walk(root);
if (removed > 0) {
  console.log(`s3rver-recover: ${removed} unfinished PUT(s) removed of ${checked} objects in ${root}`);
}
