#!/usr/bin/env bash
# make audit: cargo deny's bans, licenses and sources (online: crates.io only), then the RustSec
# advisories. Where a plain-file snapshot of the advisory database exists (ADVISORY_SNAPSHOT,
# default ../shared/advisory-db, for machines that cannot reach GitHub; see its SNAPSHOT.md), the
# advisories are checked offline against it; elsewhere cargo-deny fetches the database itself.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_DENY=${CARGO_DENY:-.tools/cargo/bin/cargo-deny}
SNAPSHOT=${ADVISORY_SNAPSHOT:-../shared/advisory-db}
DB_PATH=target/advisory-db
# cargo-deny opens <db-path>/advisory-db-<hash of the default URL> and reads the commit time of its
# HEAD (its staleness check): the copy must be a git repository committed with the snapshot's date.
DB=$DB_PATH/advisory-db-3157b0e258782691

die() { echo "make audit: $*" >&2; exit 1; }

# bans/licenses/sources first and online: `cargo metadata` downloads any crate source it lacks,
# which the --offline advisories run could not.
"$CARGO_DENY" check bans licenses sources

if [[ ! -f "$SNAPSHOT/SNAPSHOT.md" ]]; then
  "$CARGO_DENY" check advisories || die "the advisory check failed (above). If the database could \
not be fetched (no access to github.com), put a RustSec advisory-db snapshot at $SNAPSHOT (or pass \
ADVISORY_SNAPSHOT=<dir>)."
  exit 0
fi

# SNAPSHOT.md says "... commit <40 hex> of YYYY-MM-DD, ...".
snapshot=$(tr '\n' ' ' <"$SNAPSHOT/SNAPSHOT.md" | grep -oE '[0-9a-f]{40} of [0-9]{4}-[0-9]{2}-[0-9]{2}' | head -1) ||
  die "$SNAPSHOT/SNAPSHOT.md: no 'commit <sha> of <YYYY-MM-DD>' in it"
if [[ "$(cat "$DB_PATH/.snapshot" 2>/dev/null)" != "$snapshot" ]]; then
  rm -rf "$DB" && mkdir -p "$DB"
  cp -R "$SNAPSHOT/." "$DB/" && chmod -R u+w "$DB"
  date="${snapshot##* of }T00:00:00Z"
  (cd "$DB" && git init -q && git add -A &&
    GIT_AUTHOR_DATE="$date" GIT_COMMITTER_DATE="$date" git -c user.name=advisory-db \
      -c user.email=advisory-db@localhost -c commit.gpgsign=false \
      commit -q --no-verify -m "RustSec advisory-db $snapshot (snapshot)")
  echo "$snapshot" >"$DB_PATH/.snapshot"
fi

# deny.toml plus `db-path`: deny.toml itself stays usable on clones without the snapshot.
config=$DB_PATH/deny.toml
sed 's|^\[advisories\]$|&\ndb-path = "'"$PWD/$DB_PATH"'"|' deny.toml >"$config"
grep -q '^db-path = ' "$config" || die "deny.toml: no [advisories] table to add db-path to"
"$CARGO_DENY" --offline --config "$config" check advisories
