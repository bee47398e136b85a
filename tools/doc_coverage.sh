#!/usr/bin/env bash
# Counts the public types and members of the shipped libraries that have no XML documentation
# (CS1591), per folder, so the missing-doc warning can be turned on folder by folder
# (src/VaeCf/.editorconfig, src/VaeCf.AspNetCore/.editorconfig) once a folder reaches 0.
#
#   tools/doc_coverage.sh              # src/VaeCf and src/VaeCf.AspNetCore, one line per folder
#   tools/doc_coverage.sh --list       # also every undocumented member
#
# How: the .editorconfig files silence CS1591 where docs are not yet complete, so the library is
# compiled once more with them left out (DiscoverEditorConfigFiles=false), into a scratch folder so
# the normal build's outputs are untouched (about 20 s), and the compiler's own CS1591 warnings are counted.
set -euo pipefail
cd "$(dirname "$0")/.."
list=false
[ "${1:-}" = "--list" ] && list=true
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
warnings="$scratch/cs1591.txt"
# One build of the ASP.NET Core project compiles the library too; the artifacts layout keeps each
# project's outputs apart under the scratch folder.
if ! dotnet build src/VaeCf.AspNetCore/VaeCf.AspNetCore.csproj -c Release --nologo -v:q -clp:NoSummary \
  -p:DiscoverEditorConfigFiles=false -p:UseArtifactsOutput=true -p:ArtifactsPath="$scratch" > "$scratch/build.txt" 2>&1; then
  grep -E ': error ' "$scratch/build.txt" | sort -u >&2 || cat "$scratch/build.txt" >&2
  echo "doc_coverage: the build failed; no count" >&2
  exit 1
fi
grep -E 'warning CS1591' "$scratch/build.txt" > "$warnings" || true
# A line reads: /abs/src/VaeCf/Catalogue/Kinds/EaseModel.cs(12,5): warning CS1591: Missing XML comment
# for publicly visible type or member 'VaeCf.Catalogue.Kinds.EaseModel.Name' [/abs/...csproj]
root=$(pwd)
sed -E "s#^${root}/##; s# \[[^]]*\]\$##" "$warnings" | sort -u > "$scratch/unique.txt"
awk -F'[(]' '{ path = $1; n = split(path, part, "/");
  # src/VaeCf/Folder/...: the folder; a file at the project root counts under the project.
  folder = (n > 3) ? part[1] "/" part[2] "/" part[3] : part[1] "/" part[2] " (root files)";
  count[folder]++; total++ }
  END { for (f in count) printf "%6d  %s\n", count[f], f; printf "%6d  total\n", total }' "$scratch/unique.txt" \
  | sort -k2
if $list; then
  echo
  sed -E "s#^([^(]*)\(([0-9]+),[0-9]+\): warning CS1591: Missing XML comment for publicly visible type or member #\1:\2 #" "$scratch/unique.txt"
fi
