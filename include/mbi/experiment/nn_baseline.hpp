#pragma once
// The simplest baseline a lookup table must beat: exhaustive 1-nearest-neighbour over the
// training images themselves, as raw 8-bit pixels (squared Euclidean distance) and as 2-bit
// pixels (pixel / 64, Manhattan distance through the product's own packed-key kernel), at
// several reference-set sizes. Each point reports accuracy, the bytes the reference set takes
// (pixels packed, plus one label byte per image) and the comparisons per query (every
// reference), so tables and 1-NN are compared per byte and per comparison on one plot.
#include <cstddef>
#include <string>
#include <vector>

#include "mbi/core/image_set.hpp"
#include "mbi/io/result_files.hpp"

namespace mbi::experiment {

struct NnBaselineOptions {
  std::vector<std::size_t> reference_sizes;  // the first n reference images; empty: all of them
  int threads = 1;                           // 0: all cores
  bool progress = false;
  bool published = false;                    // draw the paper's MNIST point (kPublishedMnist) too
};

// A lookup configuration to plot beside the baseline (from `mbi eval --mode mbi --json`).
struct LookupPoint {
  std::string label;
  double accuracy = 0;              // %
  double bytes = 0;                 // the table's, plus a graph's links when it searched one
  double comparisons_per_image = 0;
};

// The paper's lookups on MNIST (../shared/reference/mbi-reference-notes.md): 89.19 % from a
// 6.21 MB table, at about 560 comparisons per image (5 glimpses x 3.5 tree levels x 32 keys,
// the search its 13.16 nJ assumes).
inline const LookupPoint kPublishedMnist{"published (MNIST)", 89.19, 6.21e6, 560};

struct NnPoint {
  std::string pixels;  // "raw" or "2bit"
  std::size_t references = 0;
  std::size_t bytes = 0;
  double accuracy = 0;  // %
  double seconds = 0;
};

// The nearest reference of each query in both representations: predicted labels of the
// queries, ties to the lowest index. Throws mbi::Error when the sizes differ or a set is empty.
std::vector<int> nearest_label_raw(const ImageSet& references, const ImageSet& queries, int threads);
std::vector<int> nearest_label_2bit(const ImageSet& references, const ImageSet& queries, int threads);

// Bytes of n references, a label byte each: raw n x (rows x cols + 1); 2-bit stored at 2 bits
// a pixel, n x (ceil(rows x cols / 4) + 1) (the search kernel's working copy, with spare
// bits between values, is larger; the stored size is what a device would hold).
std::size_t raw_reference_bytes(const ImageSet& set, std::size_t n);
std::size_t two_bit_reference_bytes(const ImageSet& set, std::size_t n);

// Every size in both representations. Summary: the points, the lookups given, and for each
// lookup point the best 1-NN accuracy at no more bytes; table nn_baseline (+ lookups, + the
// published point); plots accuracy_vs_bytes and accuracy_vs_comparisons (the Pareto views).
io::ResultFiles nn_baseline(const ImageSet& references, const ImageSet& queries, const NnBaselineOptions& options,
                            const std::vector<LookupPoint>& lookups = {});

}  // namespace mbi::experiment
