#include "mbi/cim/float_network.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "mbi/core/error.hpp"

namespace mbi::cim {

using ternary::LayerKind;
using ternary::Shape;

int FloatNetwork::classes() const {
  for (auto it = layers.rbegin(); it != layers.rend(); ++it)
    if (it->kind != LayerKind::max_pool) return it->out_channels;
  return 0;
}

std::vector<Shape> FloatNetwork::shapes() const {
  if (input.channels < 1 || input.rows < 1 || input.cols < 1) throw Error("float network: empty input shape");
  std::vector<Shape> out;
  Shape s = input;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const FloatLayer& l = layers[i];
    const std::string where = "float network layer " + std::to_string(i) + ": ";
    switch (l.kind) {
      case LayerKind::conv:
        if (l.kernel < 1 || l.padding < 0 || l.out_channels < 1) throw Error(where + "bad convolution");
        s = {l.out_channels, s.rows + 2 * l.padding - l.kernel + 1, s.cols + 2 * l.padding - l.kernel + 1};
        break;
      case LayerKind::dense:
        if (l.out_channels < 1) throw Error(where + "no outputs");
        s = {l.out_channels, 1, 1};
        break;
      case LayerKind::max_pool:
        if (l.kernel < 1) throw Error(where + "bad pool");
        s = {s.channels, s.rows / l.kernel, s.cols / l.kernel};
        break;
      default:
        throw Error(where + "unknown kind " + std::to_string(static_cast<int>(l.kind)));
    }
    if (s.rows < 1 || s.cols < 1) throw Error(where + "the maps vanish");
    out.push_back(s);
  }
  return out;
}

std::size_t fan_in(const FloatLayer& layer, const Shape& in) {
  return layer.kind == LayerKind::conv ? static_cast<std::size_t>(in.channels) * layer.kernel * layer.kernel : in.size();
}

void FloatNetwork::validate() const {
  if (layers.empty()) throw Error("float network: no layers");
  if (!(input_scale > 0 && std::isfinite(input_scale))) throw Error("float network: input scale must be > 0");
  const std::vector<Shape> s = shapes();
  Shape in = input;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const FloatLayer& l = layers[i];
    const std::string where = "float network layer " + std::to_string(i) + ": ";
    if (l.kind != LayerKind::max_pool) {
      if (l.weights.size() != fan_in(l, in) * static_cast<std::size_t>(l.out_channels))
        throw Error(where + std::to_string(l.weights.size()) + " weights, expected " +
                    std::to_string(fan_in(l, in) * static_cast<std::size_t>(l.out_channels)));
      if (!l.bias.empty() && l.bias.size() != static_cast<std::size_t>(l.out_channels))
        throw Error(where + "one bias per output");
      for (const float w : l.weights)
        if (!std::isfinite(w)) throw Error(where + "a weight is not finite");
      for (const float b : l.bias)
        if (!std::isfinite(b)) throw Error(where + "a bias is not finite");
    } else if (!l.weights.empty() || !l.bias.empty() || l.relu) {
      throw Error(where + "a max pool has no weights, bias or ReLU");
    }
    in = s[i];
  }
  if (layers.back().kind == LayerKind::max_pool || layers.back().relu)
    throw Error("float network: the last layer must be a convolution or dense layer without ReLU (the logits)");
}

std::size_t FloatNetwork::weight_count() const {
  std::size_t n = 0;
  for (const FloatLayer& l : layers) n += l.weights.size();
  return n;
}

void receptive_field(const FloatLayer& l, const Shape& in, const float* a, int r, int c, float* field) {
  const int k = l.kernel;
  std::size_t j = 0;
  for (int i = 0; i < in.channels; ++i)
    for (int kr = 0; kr < k; ++kr)
      for (int kc = 0; kc < k; ++kc) {
        const int ir = r + kr - l.padding, ic = c + kc - l.padding;
        field[j++] = ir < 0 || ic < 0 || ir >= in.rows || ic >= in.cols
                         ? 0.0F
                         : a[(static_cast<std::size_t>(i) * in.rows + ir) * in.cols + ic];
      }
}

void max_pool(const FloatLayer& l, const Shape& in, const float* a, float* y) {
  const int k = l.kernel;
  const int rows = in.rows / k, cols = in.cols / k;
  for (int ch = 0; ch < in.channels; ++ch)
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < cols; ++c) {
        float best = -INFINITY;
        for (int dr = 0; dr < k; ++dr)
          for (int dc = 0; dc < k; ++dc)
            best = std::max(best, a[(static_cast<std::size_t>(ch) * in.rows + r * k + dr) * in.cols + c * k + dc]);
        y[(static_cast<std::size_t>(ch) * rows + r) * cols + c] = best;
      }
}

std::vector<float> float_logits(const FloatNetwork& n, const std::uint8_t* pixels) {
  const std::vector<Shape> shapes = n.shapes();
  std::vector<float> a(n.input.size());
  for (std::size_t i = 0; i < a.size(); ++i) a[i] = static_cast<float>(pixels[i]) * n.input_scale;
  Shape in = n.input;
  std::vector<float> field;
  for (std::size_t li = 0; li < n.layers.size(); ++li) {
    const FloatLayer& l = n.layers[li];
    const Shape& s = shapes[li];
    std::vector<float> y(s.size(), 0.0F);
    if (l.kind == LayerKind::max_pool) {
      max_pool(l, in, a.data(), y.data());
    } else {
      const std::size_t fi = fan_in(l, in);
      const std::size_t positions = static_cast<std::size_t>(s.rows) * s.cols;
      field.resize(fi);
      for (int r = 0; r < s.rows; ++r)
        for (int c = 0; c < s.cols; ++c) {
          if (l.kind == LayerKind::conv)
            receptive_field(l, in, a.data(), r, c, field.data());
          else
            std::copy(a.begin(), a.end(), field.begin());
          for (int o = 0; o < l.out_channels; ++o) {
            const float* w = &l.weights[static_cast<std::size_t>(o) * fi];
            double sum = l.bias.empty() ? 0.0 : l.bias[static_cast<std::size_t>(o)];
            for (std::size_t j = 0; j < fi; ++j) sum += static_cast<double>(w[j]) * field[j];
            float v = static_cast<float>(sum);
            if (l.relu) v = std::max(v, 0.0F);
            y[static_cast<std::size_t>(o) * positions + static_cast<std::size_t>(r) * s.cols + c] = v;
          }
        }
    }
    a = std::move(y);
    in = s;
  }
  return a;
}

double float_accuracy(const FloatNetwork& network, const ImageSet& images) {
  if (images.count() == 0) return 0;
  std::size_t correct = 0;
  for (std::size_t i = 0; i < images.count(); ++i) {
    const std::vector<float> logits = float_logits(network, images.image(i));
    correct += std::max_element(logits.begin(), logits.end()) - logits.begin() == images.labels[i] ? 1 : 0;
  }
  return 100.0 * static_cast<double>(correct) / static_cast<double>(images.count());
}

double mean_mapped_conductance(const FloatNetwork& network) {
  double mapped = 0, weights = 0;
  for (const FloatLayer& l : network.layers) {
    if (l.weights.empty()) continue;
    const std::size_t fan = l.weights.size() / static_cast<std::size_t>(l.out_channels);
    for (std::size_t o = 0; o < static_cast<std::size_t>(l.out_channels); ++o) {
      float largest = 0;
      for (std::size_t j = 0; j < fan; ++j) largest = std::max(largest, std::abs(l.weights[o * fan + j]));
      if (largest > 0)
        for (std::size_t j = 0; j < fan; ++j) mapped += std::abs(l.weights[o * fan + j]) / largest;
    }
    weights += static_cast<double>(l.weights.size());
  }
  return weights > 0 ? mapped / weights : 0.0;
}

}  // namespace mbi::cim
