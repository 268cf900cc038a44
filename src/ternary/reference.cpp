#include "mbi/ternary/reference.hpp"

#include <algorithm>
#include <bit>
#include <string>

#include "mbi/core/error.hpp"

namespace mbi::ternary {
namespace {

struct Work {
  std::uint64_t adds = 0;
  std::uint64_t threshold_compares = 0;
};

// Levels of a layer's sums, channel by channel (positions are the inner index).
void activate(const Layer& l, int thresholds_per_channel, std::size_t positions, std::vector<std::int64_t>& v,
              Work& work) {
  const auto bits = static_cast<std::uint64_t>(std::bit_width(static_cast<unsigned>(thresholds_per_channel)));
  for (int c = 0; c < l.out_channels; ++c) {
    const std::int64_t* t = l.thresholds.data() + static_cast<std::size_t>(c) * thresholds_per_channel;
    for (std::size_t p = 0; p < positions; ++p) {
      std::int64_t& x = v[static_cast<std::size_t>(c) * positions + p];
      x = level_of(x, t, thresholds_per_channel, l.rising[c] != 0);
    }
  }
  work.threshold_compares += bits * positions * static_cast<std::uint64_t>(l.out_channels);
}

std::vector<std::vector<std::int64_t>> run(const Network& n, const std::uint8_t* pixels, Work& work) {
  const std::vector<Shape> shapes = n.shapes();
  const int tpc = n.levels() - 1;
  std::vector<std::vector<std::int64_t>> out;
  std::vector<std::int64_t> x(n.input.size());
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = level_of(pixels[i], n.input_thresholds.data(), tpc, true);
  out.push_back(x);
  Shape in = n.input;
  for (std::size_t li = 0; li < n.layers.size(); ++li) {
    const Layer& l = n.layers[li];
    const Shape& s = shapes[li];
    const std::vector<std::int64_t>& a = out.back();
    std::vector<std::int64_t> y(s.size(), 0);
    if (l.kind == LayerKind::conv) {
      const int k = l.kernel;
      for (int o = 0; o < s.channels; ++o)
        for (int r = 0; r < s.rows; ++r)
          for (int c = 0; c < s.cols; ++c) {
            std::int64_t sum = 0;
            for (int i = 0; i < in.channels; ++i)
              for (int kr = 0; kr < k; ++kr) {
                const int ir = r + kr - l.padding;
                if (ir < 0 || ir >= in.rows) continue;
                for (int kc = 0; kc < k; ++kc) {
                  const int ic = c + kc - l.padding;
                  if (ic < 0 || ic >= in.cols) continue;
                  const std::int8_t w = l.weights[((static_cast<std::size_t>(o) * in.channels + i) * k + kr) * k + kc];
                  if (w == 0) continue;
                  const std::int64_t v = a[(static_cast<std::size_t>(i) * in.rows + ir) * in.cols + ic];
                  sum += w > 0 ? v : -v;
                  ++work.adds;
                }
              }
            y[(static_cast<std::size_t>(o) * s.rows + r) * s.cols + c] = sum;
          }
    } else if (l.kind == LayerKind::dense) {
      const std::size_t fan_in = a.size();
      for (int o = 0; o < s.channels; ++o) {
        std::int64_t sum = 0;
        const std::int8_t* w = l.weights.data() + static_cast<std::size_t>(o) * fan_in;
        for (std::size_t i = 0; i < fan_in; ++i)
          if (w[i] != 0) {
            sum += w[i] > 0 ? a[i] : -a[i];
            ++work.adds;
          }
        y[static_cast<std::size_t>(o)] = sum;
      }
    } else {  // max pool
      const int k = l.kernel;
      for (int ch = 0; ch < s.channels; ++ch)
        for (int r = 0; r < s.rows; ++r)
          for (int c = 0; c < s.cols; ++c) {
            std::int64_t best = a[(static_cast<std::size_t>(ch) * in.rows + r * k) * in.cols + c * k];
            for (int dr = 0; dr < k; ++dr)
              for (int dc = 0; dc < k; ++dc)
                best = std::max(best, a[(static_cast<std::size_t>(ch) * in.rows + r * k + dr) * in.cols + c * k + dc]);
            y[(static_cast<std::size_t>(ch) * s.rows + r) * s.cols + c] = best;
          }
    }
    if (l.has_activation) activate(l, tpc, static_cast<std::size_t>(s.rows) * s.cols, y, work);
    out.push_back(std::move(y));
    in = s;
  }
  return out;
}

}  // namespace

std::vector<std::vector<std::int64_t>> forward_all(const Network& network, const std::uint8_t* pixels) {
  Work work;
  return run(network, pixels, work);
}

std::vector<std::int64_t> logits(const Network& network, const std::uint8_t* pixels) {
  return forward_all(network, pixels).back();
}

int predict(const Network& network, const std::uint8_t* pixels) {
  const std::vector<std::int64_t> y = logits(network, pixels);
  return static_cast<int>(std::max_element(y.begin(), y.end()) - y.begin());
}

eval::Footprint ReferenceClassifier::footprint() const {
  eval::Footprint f;
  f.add("ternary.weights", network_.weight_bytes());
  f.add("ternary.thresholds", network_.threshold_bytes());
  return f;
}

void ReferenceClassifier::classify(const ImageSet& images, std::span<int> predictions, eval::Ledger& ledger) {
  if (images.rows != network_.input.rows || images.cols != network_.input.cols || network_.input.channels != 1)
    throw Error("ternary network: made for " + std::to_string(network_.input.rows) + "x" +
                std::to_string(network_.input.cols) + " images, given " + std::to_string(images.rows) + "x" +
                std::to_string(images.cols));
  if (predictions.size() != images.count()) throw Error("ternary network: one prediction per image");
  Work work;
  logits_.resize(images.count());
  for (std::size_t i = 0; i < images.count(); ++i) {
    logits_[i] = std::move(run(network_, images.image(i), work).back());
    predictions[i] = static_cast<int>(std::max_element(logits_[i].begin(), logits_[i].end()) - logits_[i].begin());
  }
  ledger.add("ternary.add", work.adds);
  ledger.add("ternary.threshold_compare", work.threshold_compares);
}

}  // namespace mbi::ternary
