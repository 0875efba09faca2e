#!/usr/bin/env bash
# Makes sure the installed PostgreSQL server has the pgvector extension. Where Debian packages it for this server
# (postgresql-NN-pgvector, Debian 13 and later) that package is installed; on Debian 12 it is built from Debian's own
# source package of the next release (trixie), fetched through a private apt source list so the system's apt
# configuration is untouched, against the installed server's headers (pinned to its version, --no-upgrade: nothing
# already on the machine changes). About 30 s. Needs root (CI and the developers' machines run as root).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
major=$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1)
if [ -z "$major" ]; then
  apt-get update -qq && apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  major=$(ls /usr/lib/postgresql | sort -n | tail -1)
fi
if [ -f "/usr/share/postgresql/$major/extension/vector.control" ]; then
  echo "pgvector: present for PostgreSQL $major" >&2
  exit 0
fi
if apt-cache show "postgresql-$major-pgvector" >/dev/null 2>&1 ||
   { apt-get update -qq && apt-cache show "postgresql-$major-pgvector" >/dev/null 2>&1; }; then
  apt-get install -y -qq --no-install-recommends --no-upgrade "postgresql-$major-pgvector" >/dev/null
  echo "pgvector: installed postgresql-$major-pgvector" >&2
  exit 0
fi
# Build it: the server headers matching the installed server exactly, then Debian's pgvector source for trixie.
server_version=$(dpkg-query -W -f='${Version}' "postgresql-$major")
apt-get install -y -qq --no-install-recommends --no-upgrade "postgresql-server-dev-$major=$server_version" make gcc dpkg-dev >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The archive apt already uses (deb822 "URIs:" lines or one-line "deb" entries), not its security suite.
mirror=$(grep -rhE '^(URIs:|deb )' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null | grep -oE 'https?://[^ ]+' | grep -E '/debian/?$' | head -1 || true)
mirror=${mirror:-http://deb.debian.org/debian}
mkdir -p "$work/lists/partial"
echo "deb-src $mirror trixie main" >"$work/sources.list"
apt_private=(-o "Dir::Etc::SourceList=$work/sources.list" -o "Dir::Etc::SourceParts=/dev/null" -o "Dir::State::Lists=$work/lists")
apt-get "${apt_private[@]}" update -qq
# apt checks the files against the signed archive index; dpkg-source's own signature check would need a keyring.
(cd "$work" && apt-get "${apt_private[@]}" source -qq --download-only pgvector >/dev/null 2>&1 && dpkg-source --no-check -x pgvector_*.dsc src >/dev/null)
make -s -C "$work/src" with_llvm=no PG_CONFIG="/usr/lib/postgresql/$major/bin/pg_config" >/dev/null
make -s -C "$work/src" with_llvm=no PG_CONFIG="/usr/lib/postgresql/$major/bin/pg_config" install >/dev/null
echo "pgvector: built from Debian's trixie source for PostgreSQL $major" >&2
