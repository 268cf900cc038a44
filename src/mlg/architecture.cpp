#include "mbi/mlg/architecture.hpp"

#include <algorithm>
#include <string>

#include "mbi/core/error.hpp"

namespace mbi::mlg {
namespace {

bool valid_bits(int bits) { return (bits >= 1 && bits <= 8) || bits == 32; }

StoredTensor zeros(std::size_t count, int bits) {
  StoredTensor t;
  t.bits = bits;
  if (bits == 32) {
    t.values.assign(count, 0.0F);
  } else {
    t.scale = 1;
    t.codes.assign(count, 0);
  }
  return t;
}

Op conv(int out, int kernel_rows, int kernel_cols, int stride, int padding, int in, bool last, const StoragePolicy& p) {
  Op op;
  op.kind = OpKind::conv;
  op.out_channels = out;
  op.kernel_rows = kernel_rows;
  op.kernel_cols = kernel_cols;
  op.stride = stride;
  op.padding = padding;
  op.weight = lay_out_weight(out, in, kernel_rows * kernel_cols, last, p);
  if (last) op.bias.assign(static_cast<std::size_t>(out), 0.0F);
  return op;
}

Op norm(int channels) {
  Op op;
  op.kind = OpKind::batch_norm;
  op.scale.assign(static_cast<std::size_t>(channels), 1.0F);
  op.shift.assign(static_cast<std::size_t>(channels), 0.0F);
  return op;
}

Op simple(OpKind kind, int pool = 0) {
  Op op;
  op.kind = kind;
  op.pool = pool;
  return op;
}

// Appends ops, tracking the current shape, so dense layers know the input they cover.
struct Builder {
  GeneratedNetwork& net;
  const StoragePolicy& policy;
  Shape shape;

  void add_conv(int out, int kernel, int stride, int padding) {
    if (shape.rows + 2 * padding < kernel || shape.cols + 2 * padding < kernel)
      throw Error(net.name + ": " + std::to_string(shape.rows) + "x" + std::to_string(shape.cols) +
                  " activations are too small for a " + std::to_string(kernel) + "x" + std::to_string(kernel) + " kernel");
    net.ops.push_back(conv(out, kernel, kernel, stride, padding, shape.channels, false, policy));
    shape = {out, (shape.rows + 2 * padding - kernel) / stride + 1, (shape.cols + 2 * padding - kernel) / stride + 1};
  }
  // A dense layer: a convolution over the whole input.
  void add_dense(int out, bool last) {
    net.ops.push_back(conv(out, shape.rows, shape.cols, 1, 0, shape.channels, last, policy));
    shape = {out, 1, 1};
  }
  void add(OpKind kind) {
    net.ops.push_back(kind == OpKind::batch_norm ? norm(shape.channels) : simple(kind));
    if (kind == OpKind::global_avg_pool) shape = {shape.channels, 1, 1};
  }
  void add_pool(int pool) {
    if (shape.rows < pool || shape.cols < pool)
      throw Error(net.name + ": " + std::to_string(shape.rows) + "x" + std::to_string(shape.cols) +
                  " activations are too small for a " + std::to_string(pool) + "x" + std::to_string(pool) + " pool");
    net.ops.push_back(simple(OpKind::max_pool, pool));
    shape = {shape.channels, shape.rows / pool, shape.cols / pool};
  }
};

}  // namespace

void StoragePolicy::validate() const {
  if (method != "full" && method != "quant" && method != "lowrank" && method != "mlg")
    throw Error("storage method '" + method + "' (expected full, quant, lowrank or mlg)");
  if (!valid_bits(bits) || !valid_bits(bits_basis) || !valid_bits(bits_coefficients) || !valid_bits(bits_mixing))
    throw Error("storage policy: bits must be 1..8 or 32");
  if (basis_in < 1 || basis_out < 1 || rank < 1) throw Error("storage policy: bi, bo and the rank must be >= 1");
  if (method == "mlg" && !level1 && !level2) throw Error("storage policy: mlg needs level 1, level 2 or both");
}

std::string StoragePolicy::describe() const {
  if (method == "full") return "full";
  if (method == "quant") return "quant " + std::to_string(bits) + "-bit";
  if (method == "lowrank") return "lowrank r=" + std::to_string(rank) + " " + std::to_string(bits) + "-bit";
  std::string levels = level1 && level2 ? "" : level1 ? " level 1 only" : " level 2 only";
  return "mlg" + levels + (level1 ? " bi=" + std::to_string(basis_in) : "") +
         (level2 ? " bo=" + std::to_string(basis_out) : "") + " q=" + std::to_string(bits_basis) + "/" +
         std::to_string(bits_coefficients) + "/" + std::to_string(bits_mixing);
}

GeneratedWeight lay_out_weight(int out, int in, int span, bool last, const StoragePolicy& p) {
  GeneratedWeight w;
  w.out = out;
  w.in = in;
  w.span = span;
  w.basis_out = out;
  const auto whole = [&](int bits) { w.coefficients = zeros(static_cast<std::size_t>(out) * in * span, bits); };
  if (p.method == "full" || (last && !p.generate_last)) {
    whole(32);
    return w;
  }
  if (p.method == "quant") {
    whole(p.bits);
    return w;
  }
  const bool lowrank = p.method == "lowrank";
  const int bo = lowrank ? p.rank : p.basis_out;
  // Level 2 when it saves parameters: bo (out + in span) < out in span, as bo < min(out, in span)
  // does for the authors' shapes; low rank by the same rule.
  w.level2 = (lowrank || p.level2) && bo < std::min(out, in * span) &&
             static_cast<long long>(bo) * (out + static_cast<long long>(in) * span) < static_cast<long long>(out) * in * span;
  w.level1 = !lowrank && p.level1 && p.basis_in < std::min(in, span);
  if (w.level2) w.basis_out = bo;
  if (w.level1) w.basis_in = p.basis_in;
  const int qu = lowrank ? p.bits : p.bits_coefficients;
  if (w.level1) {
    w.basis = zeros(static_cast<std::size_t>(w.basis_out) * w.basis_in * span, p.bits_basis);
    w.coefficients = zeros(static_cast<std::size_t>(w.basis_out) * in * w.basis_in, qu);
  } else {
    w.coefficients = zeros(static_cast<std::size_t>(w.basis_out) * in * span, qu);
  }
  if (w.level2) w.mixing = zeros(static_cast<std::size_t>(out) * w.basis_out, lowrank ? p.bits : p.bits_mixing);
  return w;
}

GeneratedNetwork lay_out(const Architecture& a, const Shape& input, int classes, const StoragePolicy& policy) {
  policy.validate();
  if (a.width < 1 || a.blocks < 1) throw Error("architecture: width and blocks must be >= 1");
  if (input.channels < 1 || input.rows < 1 || input.cols < 1 || classes < 2)
    throw Error("architecture: needs an input shape and at least 2 classes");
  GeneratedNetwork net;
  net.name = a.name;
  net.method = policy.method;
  net.input = input;
  Builder b{net, policy, input};
  if (a.name == "lenet") {
    for (const int channels : {a.width, 2 * a.width}) {
      b.add_conv(channels, 5, 1, 2);
      b.add(OpKind::batch_norm);
      b.add(OpKind::relu);
      b.add_pool(2);
    }
    b.add_dense(8 * a.width, false);
    b.add(OpKind::batch_norm);
    b.add(OpKind::relu);
    b.add_dense(classes, true);
  } else if (a.name == "resnet20") {
    b.add_conv(a.width, 3, 1, 1);
    b.add(OpKind::batch_norm);
    b.add(OpKind::relu);
    for (int stage = 0; stage < 3; ++stage) {
      const int channels = a.width << stage;
      for (int block = 0; block < a.blocks; ++block) {
        const int stride = stage > 0 && block == 0 ? 2 : 1;
        b.add(OpKind::save);
        const Shape saved = b.shape;
        b.add_conv(channels, 3, stride, 1);
        b.add(OpKind::batch_norm);
        b.add(OpKind::relu);
        b.add_conv(channels, 3, 1, 1);
        b.add(OpKind::batch_norm);
        if (saved.rows % b.shape.rows != 0 || saved.cols % b.shape.cols != 0)
          throw Error("resnet20: " + std::to_string(saved.rows) + "x" + std::to_string(saved.cols) +
                      " activations do not halve evenly; use images whose sides are multiples of 4");
        b.add(OpKind::add);
        b.add(OpKind::relu);
      }
    }
    b.add(OpKind::global_avg_pool);
    b.add_dense(classes, true);
  } else {
    throw Error("architecture '" + a.name + "' (expected lenet or resnet20)");
  }
  net.validate();
  return net;
}

StoragePolicy fit_to_ratio(const Architecture& a, const Shape& input, int classes, const StoragePolicy& policy,
                           double ratio) {
  if (!(ratio > 0)) throw Error("memory ratio must be > 0");
  StoragePolicy p = policy;
  int* knob = nullptr;
  int largest = 1;
  // Past the largest value any layer can use (bo or the rank up to min(out, in span), bi up to
  // min(in, span)) the layout no longer changes: the knob stops there.
  const GeneratedNetwork whole = lay_out(a, input, classes, StoragePolicy{.method = "full"});
  const auto cap = [&](bool inner) {
    int c = 1;
    for (const Op& op : whole.ops)
      if (op.kind == OpKind::conv)
        c = std::max(c, inner ? std::min(op.weight.in, op.weight.span) : std::min(op.weight.out, op.weight.in * op.weight.span));
    return c;
  };
  if (p.method == "quant") {
    knob = &p.bits;
    largest = 8;
  } else if (p.method == "lowrank") {
    knob = &p.rank;
    largest = cap(false);
  } else if (p.method == "mlg") {
    knob = p.level2 ? &p.basis_out : &p.basis_in;
    largest = cap(!p.level2);
  } else {
    throw Error("a full network has no knob to fit to a memory ratio");
  }
  const auto ratio_at = [&](int value) {
    *knob = value;
    return lay_out(a, input, classes, p).memory_ratio();
  };
  double smallest = ratio_at(1);
  if (smallest > ratio)
    throw Error(p.describe() + ": the smallest memory ratio this method reaches is " + std::to_string(smallest) +
                ", above " + std::to_string(ratio));
  // The ratio grows with the knob; past the point where no layer uses it any more it stays flat.
  int best = 1;
  for (int value = 2; value <= largest; ++value) {
    if (ratio_at(value) > ratio) break;
    best = value;
  }
  *knob = best;
  return p;
}

}  // namespace mbi::mlg
