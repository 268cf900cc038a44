#pragma once
// A float network as plain numbers: what `mbi ap train --float` exports and what the analog
// crossbar (analog_crossbar.hpp) maps onto conductances. Batch norms are folded into the
// weights and biases of the layer before them, so each layer is y = relu(W x + b) (no ReLU on
// the last layer, whose outputs are the logits). Standard library only.
//
// Pixels enter as p * input_scale (1/255: the training's pixel / 255). Layers are convolutions
// (square kernels, stride 1, zero padding), dense layers over the flattened input (channel,
// row, column order) and max pools (kernel x kernel windows, stride kernel), as in
// ternary/network.hpp, whose Shape and LayerKind they share.
#include <cstdint>
#include <string>
#include <vector>

#include "mbi/core/image_set.hpp"
#include "mbi/ternary/network.hpp"

namespace mbi::cim {

struct FloatLayer {
  ternary::LayerKind kind = ternary::LayerKind::dense;
  int kernel = 1;
  int padding = 0;
  int out_channels = 0;          // conv, dense
  std::vector<float> weights{};  // out x fan_in (conv: out x in x kernel x kernel)
  std::vector<float> bias{};     // out (empty: none)
  bool relu = false;
};

struct FloatNetwork {
  ternary::Shape input;
  float input_scale = 1.0F / 255.0F;
  std::vector<FloatLayer> layers;
  std::string name;

  int classes() const;
  // The shape after each layer. Throws mbi::Error when the network does not fit together.
  std::vector<ternary::Shape> shapes() const;
  // Shapes, weight and bias counts, finite numbers, a last layer without ReLU.
  void validate() const;
  // Weights of the convolution and dense layers.
  std::size_t weight_count() const;
};

// Inputs of one output of a mapped layer (the matrix rows): in x kernel x kernel for a
// convolution, the whole input for a dense layer.
std::size_t fan_in(const FloatLayer& layer, const ternary::Shape& in);

// The receptive field of output position (r, c) of a convolution: `field` gets
// in.channels x kernel x kernel values of `a` (zeros where the padding is).
void receptive_field(const FloatLayer& layer, const ternary::Shape& in, const float* a, int r, int c, float* field);

// A max pool's outputs: `y` gets in.channels x (in.rows / kernel) x (in.cols / kernel) values.
void max_pool(const FloatLayer& layer, const ternary::Shape& in, const float* a, float* y);

// The network's logits in float, computed digitally (the clean accuracy analog inference is
// measured against).
std::vector<float> float_logits(const FloatNetwork& network, const std::uint8_t* pixels);
// Percent of `images` whose first largest float logit is the label.
double float_accuracy(const FloatNetwork& network, const ImageSet& images);

// The mean over weights of |w| / max_j |w_oj| (column-wise scaling): the mean conductance of a
// mapped weight in units of g_max, what the energy regularization lowers.
double mean_mapped_conductance(const FloatNetwork& network);

}  // namespace mbi::cim
