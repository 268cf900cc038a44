#include "mbi/ap/compiler.hpp"

#include <algorithm>
#include <bit>
#include <queue>
#include <string>
#include <tuple>
#include <unordered_map>

#include "mbi/core/error.hpp"

namespace mbi::ap {
namespace {

// An input (or temporary) of a layer's sum with its sign.
struct Term {
  std::uint32_t id;
  int sign;
};

struct Range {
  std::int64_t lo = 0, hi = 0;
};

// The narrowest field holding every value of `r`.
Field field_shape(Range r) {
  Field f;
  if (r.lo >= 0) {
    f.bits = std::max(1, static_cast<int>(std::bit_width(static_cast<std::uint64_t>(r.hi))));
  } else {
    std::uint32_t b = 1;
    while (!(r.lo >= -(std::int64_t{1} << (b - 1)) && r.hi <= (std::int64_t{1} << (b - 1)) - 1)) ++b;
    f.bits = b;
    f.is_signed = true;
  }
  if (f.bits > 62) throw Error("AP compiler: a sum needs more than 62 bits");
  return f;
}

// Hands out columns. Without the RTM layout, fields are contiguous, one after another. With
// it, a group that is written or read bit after bit in place (accumulators, levels) is
// bit-sliced: bit i of field f sits on track (block, i) at domain f % D, so an add walks its
// bits on different tracks that never move while one output's sum is built. Groups that are
// visited one field after another (the inputs and temporaries a sum adds) stay contiguous but
// start on a fresh track: a sweep along them moves one track a domain at a time (bit-slicing
// them would move every bit's track by the distance between two fields).
class ColumnAllocator {
 public:
  ColumnAllocator(bool rtm, std::uint32_t domains) : rtm_(rtm), d_(domains) {
    if (rtm && domains == 0) throw Error("AP compiler: the RTM layout needs tracks of at least one domain");
  }
  std::vector<Field> group(std::size_t n, Field shape, bool sliced = true) {
    std::vector<Field> fields;
    if (n == 0) return fields;
    if (rtm_ && !sliced) align();
    if (!rtm_ || !sliced) {
      for (std::size_t f = 0; f < n; ++f) {
        fields.push_back({next_, shape.bits, shape.is_signed, 1});
        next_ += shape.bits;
      }
      return fields;
    }
    align();
    for (std::size_t f = 0; f < n; ++f) {
      const auto block = static_cast<std::uint32_t>(f / d_), slot = static_cast<std::uint32_t>(f % d_);
      fields.push_back({next_ + block * shape.bits * d_ + slot, shape.bits, shape.is_signed, d_});
    }
    next_ += static_cast<std::uint32_t>((n + d_ - 1) / d_) * shape.bits * d_;
    return fields;
  }
  // A scratch column; with the RTM layout alone on its track, so it never shifts.
  std::uint32_t column() {
    if (!rtm_) return next_++;
    align();
    const std::uint32_t c = next_;
    next_ += d_;
    return c;
  }
  std::uint32_t columns() const { return next_; }

 private:
  void align() { next_ = (next_ + d_ - 1) / d_ * d_; }
  bool rtm_;
  std::uint32_t d_;
  std::uint32_t next_ = 0;
};

// A temporary of CSE: inputs a and b (ids), t = a + rel * b.
struct Temporary {
  std::uint32_t a, b;
  int rel;
};

std::uint64_t pair_key(std::uint32_t a, std::uint32_t b, int rel) {
  if (a > b) std::swap(a, b);
  return (std::uint64_t{a} << 32) | (std::uint64_t{b} << 1) | (rel < 0 ? 1U : 0U);
}

// Greedy common-subexpression elimination over the output channels' term lists: while some
// pair of terms (with the same relative sign) occurs in at least `min_uses` channels, compute
// it once as a temporary and let those channels add the temporary instead. Counts are kept
// incrementally; a max-heap with stale entries finds the most shared pair. Pairs of two
// inputs are considered only `window` ids apart or closer, which bounds the memory of wide
// dense layers (pairs with temporaries are always considered).
std::vector<Temporary> eliminate_common_pairs(std::vector<std::vector<Term>>& channels, std::uint32_t first_id,
                                              std::size_t min_uses, std::uint32_t window) {
  std::unordered_map<std::uint64_t, std::int64_t> count;
  std::priority_queue<std::pair<std::int64_t, std::uint64_t>> heap;
  const auto bump = [&](const Term& x, const Term& y, std::int64_t by) {
    if (x.id < first_id && y.id < first_id && (x.id > y.id ? x.id - y.id : y.id - x.id) > window) return;
    const std::uint64_t key = pair_key(x.id, y.id, x.sign * y.sign);
    std::int64_t& c = count[key];
    c += by;
    if (by > 0) heap.push({c, key});
  };
  for (const auto& terms : channels)
    for (std::size_t i = 0; i < terms.size(); ++i)
      for (std::size_t j = i + 1; j < terms.size(); ++j) bump(terms[i], terms[j], 1);
  std::vector<Temporary> temporaries;
  while (!heap.empty()) {
    const auto [c, key] = heap.top();
    heap.pop();
    if (count[key] != c) continue;  // stale
    if (static_cast<std::size_t>(c) < min_uses) break;
    const auto a = static_cast<std::uint32_t>(key >> 32), b = static_cast<std::uint32_t>((key >> 1) & 0x7fffffffU);
    const int rel = (key & 1U) ? -1 : 1;
    const std::uint32_t t = first_id + static_cast<std::uint32_t>(temporaries.size());
    temporaries.push_back({a, b, rel});
    for (auto& terms : channels) {
      const auto ia = std::find_if(terms.begin(), terms.end(), [&](const Term& x) { return x.id == a; });
      const auto ib = std::find_if(terms.begin(), terms.end(), [&](const Term& x) { return x.id == b; });
      if (ia == terms.end() || ib == terms.end() || ia->sign * ib->sign != rel) continue;
      const Term ta = *ia, tb = *ib;
      // Remove a and b (their pairs with every other term go), add t (pairs with the rest).
      for (const Term& x : terms)
        if (x.id != a && x.id != b) bump(ta, x, -1), bump(tb, x, -1);
      bump(ta, tb, -1);
      terms.erase(std::remove_if(terms.begin(), terms.end(), [&](const Term& x) { return x.id == a || x.id == b; }),
                  terms.end());
      const Term tt{t, ta.sign};  // ta.sign * (a + rel * b) = ta.sign * a + tb.sign * b
      for (const Term& x : terms) bump(tt, x, 1);
      terms.push_back(tt);
    }
  }
  return temporaries;
}

Range term_range(const Range& r, int sign) { return sign > 0 ? r : Range{-r.hi, -r.lo}; }

LayerProgram compile_layer(const ternary::Network& n, std::size_t li, const ternary::Shape& in, int pool,
                           const ternary::Shape& out, const CompileOptions& o, CompileStats& stats) {
  const ternary::Layer& l = n.layers[li];
  const bool conv = l.kind == ternary::LayerKind::conv;
  const bool pixels = li == 0 || (li == 1 && n.layers[0].kind == ternary::LayerKind::max_pool);
  if (pixels && pool != 1) throw Error("AP compiler: a max pool straight on the pixels is not supported");
  const ternary::Shape pooled{in.channels, in.rows / pool, in.cols / pool};
  const int k = conv ? l.kernel : 1;
  const std::size_t fan_in = conv ? static_cast<std::size_t>(in.channels) * k * k : pooled.size();
  const std::int64_t top_level = n.levels() - 1;

  LayerProgram p;
  p.layer = static_cast<int>(li);
  p.input = in;
  p.pool = pool;
  p.output = out;
  p.pixels = pixels;
  ColumnAllocator columns(o.rtm_layout, o.domains_per_track);

  // The terms of each output channel.
  std::vector<std::vector<Term>> channels(static_cast<std::size_t>(l.out_channels));
  for (std::size_t c = 0; c < channels.size(); ++c)
    for (std::size_t j = 0; j < fan_in; ++j) {
      const std::int8_t w = l.weights[c * fan_in + j];
      if (w != 0) channels[c].push_back({static_cast<std::uint32_t>(j), w});
      stats.terms += w != 0 ? 1 : 0;
    }
  std::vector<Temporary> temporaries;
  if (o.fold_constants && o.cse)
    temporaries = eliminate_common_pairs(channels, static_cast<std::uint32_t>(fan_in), 3,
                                         fan_in * channels.size() <= 20000 ? static_cast<std::uint32_t>(fan_in) : 64U);
  stats.cse_temporaries += temporaries.size();

  // Value ranges: inputs are levels, temporaries sums of two terms, accumulators the worst
  // channel's sum (one width for all, as argmax and the layout want).
  std::vector<Range> range(fan_in, Range{0, top_level});
  for (const Temporary& t : temporaries) {
    const Range b = term_range(range[t.b], t.rel);
    range.push_back({range[t.a].lo + b.lo, range[t.a].hi + b.hi});
  }
  Range acc{0, 0};
  for (std::size_t c = 0; c < channels.size(); ++c) {
    Range sum{0, 0};
    if (o.fold_constants) {
      for (const Term& t : channels[c]) {
        const Range r = term_range(range[t.id], t.sign);
        sum.lo += r.lo, sum.hi += r.hi;
      }
    } else {
      sum = {-static_cast<std::int64_t>(fan_in) * top_level, static_cast<std::int64_t>(fan_in) * top_level};
    }
    acc.lo = std::min(acc.lo, sum.lo), acc.hi = std::max(acc.hi, sum.hi);
  }
  Field acc_shape = field_shape(acc);
  acc_shape.is_signed = true;  // sums and logits are signed
  if (acc.lo >= 0) ++acc_shape.bits;

  // Columns: scratch first (one track each with the RTM layout), then the field groups.
  p.carry = columns.column();
  p.greater = columns.column();
  p.equal = columns.column();
  const Field level_shape{0, static_cast<std::uint32_t>(n.activation_bits), false};
  const std::vector<Field> inputs = columns.group(fan_in, level_shape, false);
  const std::vector<Field> pixel = pixels ? columns.group(1, Field{0, 8, false}) : std::vector<Field>{};
  const std::vector<Field> window = pool > 1 ? columns.group(1, level_shape) : std::vector<Field>{};
  // Temporaries, grouped by shape.
  std::vector<Field> temp_fields(temporaries.size());
  {
    std::vector<std::pair<std::pair<std::uint32_t, bool>, std::size_t>> by_shape;
    for (std::size_t t = 0; t < temporaries.size(); ++t) {
      const Field f = field_shape(range[fan_in + t]);
      by_shape.push_back({{f.bits, f.is_signed}, t});
    }
    std::sort(by_shape.begin(), by_shape.end());
    for (std::size_t i = 0; i < by_shape.size();) {
      std::size_t j = i;
      while (j < by_shape.size() && by_shape[j].first == by_shape[i].first) ++j;
      const std::vector<Field> g = columns.group(j - i, Field{0, by_shape[i].first.first, by_shape[i].first.second}, false);
      for (std::size_t x = i; x < j; ++x) temp_fields[by_shape[x].second] = g[x - i];
      i = j;
    }
  }
  const std::vector<Field> accumulators = columns.group(channels.size(), acc_shape);
  std::vector<Field> levels;
  if (l.has_activation)
    levels = columns.group(channels.size(), Field{0, static_cast<std::uint32_t>(n.activation_bits), false});
  std::uint32_t weight_plus = 0, weight_minus = 0;
  if (!o.fold_constants) weight_plus = columns.column(), weight_minus = columns.column();
  const auto field_of = [&](std::uint32_t id) { return id < fan_in ? inputs[id] : temp_fields[id - fan_in]; };

  // 1. The inputs: gathered (and pooled, or requantized from pixels).
  for (std::size_t j = 0; j < fan_in; ++j) {
    Step g;
    g.kind = StepKind::gather;
    if (conv) {
      g.channel = static_cast<int>(j / (static_cast<std::size_t>(k) * k));
      g.dr = static_cast<int>((j / k) % k) - l.padding;
      g.dc = static_cast<int>(j % k) - l.padding;
    } else {
      g.channel = static_cast<int>(j / (static_cast<std::size_t>(pooled.rows) * pooled.cols));
      g.dr = static_cast<int>((j / pooled.cols) % pooled.rows);
      g.dc = static_cast<int>(j % pooled.cols);
    }
    if (pixels) {
      g.dst = pixel[0];
      p.steps.push_back(g);
      Step q;
      q.kind = StepKind::requantize;
      q.dst = inputs[j];
      q.src = pixel[0];
      q.thresholds = n.input_thresholds;
      q.rising = true;
      p.steps.push_back(q);
      continue;
    }
    g.dst = inputs[j];
    p.steps.push_back(g);
    for (int pr = 0; pr < pool; ++pr)
      for (int pc = 0; pc < pool; ++pc) {
        if (pr == 0 && pc == 0) continue;
        Step w = g;
        w.dst = window[0];
        w.pool_r = pr, w.pool_c = pc;
        p.steps.push_back(w);
        Step m;
        m.kind = StepKind::max;
        m.dst = inputs[j];
        m.src = window[0];
        p.steps.push_back(m);
      }
  }
  // 2. The shared partial sums, each after the ones it adds up (by depth), and within a depth
  // in the order of their columns, so the racetrack tracks sweep their domains once.
  std::vector<std::uint32_t> depth(fan_in + temporaries.size(), 0);
  std::vector<std::size_t> order(temporaries.size());
  for (std::size_t t = 0; t < temporaries.size(); ++t) {
    depth[fan_in + t] = 1 + std::max(depth[temporaries[t].a], depth[temporaries[t].b]);
    order[t] = t;
  }
  std::sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
    return std::make_tuple(depth[fan_in + x], field_of(temporaries[x].a).first_column, field_of(temporaries[x].b).first_column) <
           std::make_tuple(depth[fan_in + y], field_of(temporaries[y].a).first_column, field_of(temporaries[y].b).first_column);
  });
  for (const std::size_t t : order) {
    Step c;
    c.kind = StepKind::copy;
    c.dst = temp_fields[t];
    c.src = field_of(temporaries[t].a);
    p.steps.push_back(c);
    Step a;
    a.kind = temporaries[t].rel > 0 ? StepKind::add : StepKind::subtract;
    a.dst = temp_fields[t];
    a.src = field_of(temporaries[t].b);
    p.steps.push_back(a);
  }
  // 3. Each output channel's sum, then its activation level.
  for (std::size_t c = 0; c < channels.size(); ++c) {
    const Field dst = accumulators[c];
    if (!o.fold_constants) {
      p.steps.push_back({.kind = StepKind::clear, .dst = dst});
      for (std::size_t j = 0; j < fan_in; ++j) {
        const std::int8_t w = l.weights[c * fan_in + j];
        Step s;
        s.kind = StepKind::set;
        s.set_bits = {{weight_plus, w > 0}, {weight_minus, w < 0}};
        p.steps.push_back(s);
        Step plus;
        plus.kind = StepKind::add;
        plus.dst = dst;
        plus.src = inputs[j];
        plus.condition = {{weight_plus, true}};
        p.steps.push_back(plus);
        Step minus = plus;
        minus.kind = StepKind::subtract;
        minus.condition = {{weight_minus, true}};
        p.steps.push_back(minus);
      }
    } else {
      std::vector<Term> terms = channels[c];
      // Addition commutes: visit the terms in the order of their columns (on the racetrack,
      // one sweep along each track's domains).
      std::sort(terms.begin(), terms.end(), [&](const Term& x, const Term& y) {
        return field_of(x.id).first_column < field_of(y.id).first_column;
      });
      // The first positive term is copied in (cheaper than clearing and adding).
      const auto first = std::find_if(terms.begin(), terms.end(), [](const Term& t) { return t.sign > 0; });
      if (first != terms.end()) {
        p.steps.push_back({.kind = StepKind::copy, .dst = dst, .src = field_of(first->id)});
        terms.erase(first);
      } else {
        p.steps.push_back({.kind = StepKind::clear, .dst = dst});
      }
      for (const Term& t : terms)
        p.steps.push_back({.kind = t.sign > 0 ? StepKind::add : StepKind::subtract, .dst = dst, .src = field_of(t.id)});
    }
    if (l.has_activation) {
      Step q;
      q.kind = StepKind::requantize;
      q.dst = levels[c];
      q.src = dst;
      const auto tpc = static_cast<std::size_t>(n.levels() - 1);
      q.thresholds.assign(l.thresholds.begin() + static_cast<std::ptrdiff_t>(c * tpc),
                          l.thresholds.begin() + static_cast<std::ptrdiff_t>((c + 1) * tpc));
      q.rising = l.rising[c] != 0;
      p.steps.push_back(q);
    }
  }
  if (l.has_activation) {
    p.outputs = levels;
  } else {
    // The last layer: its sums are the logits; the prediction is their argmax, in every row.
    p.outputs = accumulators;
    const auto index_bits = static_cast<std::uint32_t>(std::max(1, static_cast<int>(std::bit_width(channels.size() - 1))));
    p.prediction = columns.group(1, Field{0, index_bits, false})[0];
    Step a;
    a.kind = StepKind::argmax;
    a.dst = p.prediction;
    a.aux = columns.group(1, acc_shape)[0];
    a.values = accumulators;
    p.steps.push_back(a);
  }
  p.columns = columns.columns();
  for (const Step& s : p.steps) {
    const std::uint64_t passes = step_passes(s);
    stats.passes += passes;
    if (s.kind == StepKind::add || s.kind == StepKind::subtract) {
      ++stats.add_steps;
      stats.add_subtract_passes += passes;
    }
    // The sums' own work: adds, subtracts, the copies that start sums and temporaries, and
    // the weights written when constants are not folded.
    if (s.kind == StepKind::add || s.kind == StepKind::subtract || s.kind == StepKind::copy ||
        s.kind == StepKind::clear || s.kind == StepKind::set)
      stats.arithmetic_passes += passes;
  }
  return p;
}

}  // namespace

std::uint64_t step_passes(const Step& s) {
  switch (s.kind) {
    case StepKind::gather:
      return 0;
    case StepKind::clear:
    case StepKind::set:
      return 1;
    case StepKind::copy:
      return 1 + (s.src.is_signed ? s.dst.bits : std::min(s.dst.bits, s.src.bits));
    case StepKind::add:
    case StepKind::subtract:
      return add_passes(s.dst, s.src);
    case StepKind::requantize:
      return requantize_passes(s.src, s.thresholds, s.rising);
    case StepKind::max:
      return max_passes(s.dst, false);
    case StepKind::argmax:
      return 1 + (1 + s.aux.bits) + (s.values.size() - 1) * max_passes(s.aux, true);
  }
  return 0;
}

CompiledNetwork compile(const ternary::Network& network, const CompileOptions& options) {
  network.validate();
  if (network.input_thresholds.front() <= 0)
    throw Error("AP compiler: a pixel of 0 must be level 0 (zero padding), but the first input threshold is " +
                std::to_string(network.input_thresholds.front()));
  const std::vector<ternary::Shape> shapes = network.shapes();
  CompiledNetwork compiled;
  ternary::Shape in = network.input;
  int pool = 1;
  for (std::size_t li = 0; li < network.layers.size(); ++li) {
    const ternary::Layer& l = network.layers[li];
    if (l.kind == ternary::LayerKind::max_pool) {
      if (pool != 1) throw Error("AP compiler: two max pools in a row");
      pool = l.kernel;
      continue;
    }
    compiled.layers.push_back(compile_layer(network, li, in, pool, shapes[li], options, compiled.stats));
    in = shapes[li];
    pool = 1;
  }
  return compiled;
}

}  // namespace mbi::ap
