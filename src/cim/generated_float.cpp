#include "mbi/cim/generated_float.hpp"

#include <string>

#include "mbi/core/error.hpp"

namespace mbi::cim {

FloatNetwork float_network_from_generated(const mlg::GeneratedNetwork& g) {
  g.validate();
  const std::vector<mlg::Shape> shapes = g.shapes();
  FloatNetwork f;
  f.name = g.name.empty() ? g.method : g.name + " " + g.method;
  f.input = {g.input.channels, g.input.rows, g.input.cols};
  f.input_scale = g.input_scale;
  mlg::Shape in = g.input;
  bool folded_norm = false;  // the last layer has had its batch norm
  for (std::size_t k = 0; k < g.ops.size(); ++k) {
    const mlg::Op& op = g.ops[k];
    const std::string where = "generated network " + g.name + ", op " + std::to_string(k) + ": ";
    FloatLayer* last = f.layers.empty() ? nullptr : &f.layers.back();
    const bool after_weights = last != nullptr && last->kind != ternary::LayerKind::max_pool && !last->relu;
    switch (op.kind) {
      case mlg::OpKind::conv: {
        FloatLayer l;
        const bool dense = op.padding == 0 && op.kernel_rows == in.rows && op.kernel_cols == in.cols;
        if (!dense && (op.kernel_rows != op.kernel_cols || op.stride != 1))
          throw Error(where + "the analog crossbar maps square convolutions of stride 1 (this one is " +
                      std::to_string(op.kernel_rows) + "x" + std::to_string(op.kernel_cols) + ", stride " +
                      std::to_string(op.stride) + ")");
        l.kind = dense ? ternary::LayerKind::dense : ternary::LayerKind::conv;
        l.kernel = dense ? 1 : op.kernel_rows;
        l.padding = dense ? 0 : op.padding;
        l.out_channels = op.out_channels;
        l.weights = op.weight.generate();  // out x in x span: the float network's order for both kinds
        l.bias = op.bias;
        f.layers.push_back(std::move(l));
        folded_norm = false;
        break;
      }
      case mlg::OpKind::batch_norm: {
        if (!after_weights || folded_norm)
          throw Error(where + "a batch norm is folded only into the convolution right before it");
        const std::size_t outputs = static_cast<std::size_t>(last->out_channels);
        const std::size_t fan = last->weights.size() / outputs;
        if (last->bias.empty()) last->bias.assign(outputs, 0.0F);
        for (std::size_t o = 0; o < outputs; ++o) {
          for (std::size_t j = 0; j < fan; ++j) last->weights[o * fan + j] *= op.scale[o];
          last->bias[o] = last->bias[o] * op.scale[o] + op.shift[o];
        }
        folded_norm = true;
        break;
      }
      case mlg::OpKind::relu:
        if (!after_weights) throw Error(where + "a ReLU must follow a convolution or its batch norm");
        last->relu = true;
        break;
      case mlg::OpKind::max_pool: {
        FloatLayer l;
        l.kind = ternary::LayerKind::max_pool;
        l.kernel = op.pool;
        f.layers.push_back(std::move(l));
        break;
      }
      case mlg::OpKind::global_avg_pool:
        throw Error(where + "a global average pool is not mapped onto the analog crossbar (ResNets are not)");
      case mlg::OpKind::save:
      case mlg::OpKind::add:
        throw Error(where + "residual blocks are not mapped onto the analog crossbar (ResNets are not)");
    }
    in = shapes[k];
  }
  f.validate();
  return f;
}

}  // namespace mbi::cim
