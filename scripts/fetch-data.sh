#!/usr/bin/env bash
# Downloads an IDX data set and verifies it against the official MD5 checksums of the
# uncompressed files. For users who do not have ../shared/data.
#
#   scripts/fetch-data.sh mnist DIR           (default DIR: data/mnist)
#   scripts/fetch-data.sh fashion-mnist DIR   (default DIR: data/fashion-mnist)
#   MBI_MIRROR=https://my.mirror/path scripts/fetch-data.sh mnist DIR
set -euo pipefail
name=${1:-mnist}
dir=${2:-data/$name}
files="train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte"
case "$name" in
  mnist)
    mirror=${MBI_MIRROR:-https://ossci-datasets.s3.amazonaws.com/mnist}
    sums="6bbc9ace898e44ae57da46a324031adb  train-images-idx3-ubyte
a25bea736e30d166cdddb491f175f624  train-labels-idx1-ubyte
2646ac647ad5339dbf082846283269ea  t10k-images-idx3-ubyte
27ae3e4e09519cfbb04c329615203637  t10k-labels-idx1-ubyte" ;;
  fashion-mnist)
    mirror=${MBI_MIRROR:-http://fashion-mnist.s3-website.eu-central-1.amazonaws.com}
    sums="f4a8712d7a061bf5bd6d2ca38dc4d50a  train-images-idx3-ubyte
9018921c3c673c538a1fc5bad174d6f9  train-labels-idx1-ubyte
8181f5470baa50b63fa0f6fddb340f0a  t10k-images-idx3-ubyte
15d484375f8d13e6eb1aabb0c3f46965  t10k-labels-idx1-ubyte" ;;
  *) echo "fetch-data: unknown data set '$name' (mnist or fashion-mnist)" >&2; exit 2 ;;
esac
mkdir -p "$dir"
for f in $files; do
  [ -s "$dir/$f.gz" ] && continue
  if ! curl -fsSL --retry 3 -o "$dir/$f.gz.part" "$mirror/$f.gz"; then
    rm -f "$dir/$f.gz.part"
    echo "fetch-data: could not download $mirror/$f.gz" >&2
    exit 1
  fi
  mv -f "$dir/$f.gz.part" "$dir/$f.gz"
done
echo "$sums" > "$dir/MD5SUMS.uncompressed"
bad=0
while read -r sum f; do
  got=$(gunzip -c "$dir/$f.gz" | md5sum | cut -d' ' -f1)
  if [ "$got" != "$sum" ]; then echo "fetch-data: $dir/$f.gz: checksum mismatch ($got, expected $sum)" >&2; bad=1; fi
done <<< "$sums"
[ $bad -eq 0 ] && echo "fetch-data: $name verified in $dir"
exit $bad
