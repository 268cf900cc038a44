#include "mbi/ap/runner.hpp"

#include <algorithm>
#include <string>

#include "mbi/core/error.hpp"

namespace mbi::ap {
namespace {

std::vector<std::uint32_t> columns_of(const Field& f) {
  std::vector<std::uint32_t> c(f.bits);
  for (std::uint32_t i = 0; i < f.bits; ++i) c[i] = f.column(i);
  return c;
}

void execute(CamArray& cam, const LayerProgram& p, const Step& s) {
  switch (s.kind) {
    case StepKind::clear:
      clear(cam, s.dst);
      break;
    case StepKind::set:
      cam.compare({});
      cam.write(s.set_bits);
      break;
    case StepKind::copy:
      copy(cam, s.dst, s.src);
      break;
    case StepKind::add:
      add(cam, s.dst, s.src, p.carry, s.condition);
      break;
    case StepKind::subtract:
      subtract(cam, s.dst, s.src, p.carry, s.condition);
      break;
    case StepKind::requantize:
      requantize(cam, s.dst, s.src, s.thresholds, s.rising);
      break;
    case StepKind::max:
      max_into(cam, s.dst, s.src, p.greater, p.equal);
      break;
    case StepKind::argmax:
      argmax(cam, s.values, s.dst, s.aux, p.greater, p.equal);
      break;
    case StepKind::gather:
      break;  // the runner moves the data
  }
}

}  // namespace

RunOutput run_network(const CompiledNetwork& compiled, const ImageSet& images, const RunOptions& options,
                      const std::function<void(std::size_t)>& progress) {
  if (compiled.layers.empty()) throw Error("AP run: an empty program");
  if (options.batch == 0) throw Error("AP run: a batch of 0 images");
  const LayerProgram& first = compiled.layers.front();
  if (images.rows != first.input.rows || images.cols != first.input.cols || first.input.channels != 1)
    throw Error("AP run: the network takes " + std::to_string(first.input.rows) + "x" + std::to_string(first.input.cols) +
                " images, not " + std::to_string(images.rows) + "x" + std::to_string(images.cols));
  RunOutput out;
  out.predictions.resize(images.count());
  out.logits.resize(images.count());
  for (const LayerProgram& p : compiled.layers)
    for (const Step& s : p.steps) out.program_passes += step_passes(s);
  for (std::size_t begin = 0; begin < images.count(); begin += options.batch) {
    const std::size_t n = std::min(options.batch, images.count() - begin);
    // What the previous array handed on, per image (the pixels for the first).
    std::vector<std::vector<std::int64_t>> previous(n);
    for (std::size_t i = 0; i < n; ++i) previous[i].assign(images.image(begin + i), images.image(begin + i) + images.pixels_per_image());
    for (const LayerProgram& p : compiled.layers) {
      const std::size_t per_image = p.rows_per_image();
      CamArray cam(n * per_image, p.columns, options.racetrack);
      const int pooled_rows = p.input.rows / p.pool, pooled_cols = p.input.cols / p.pool;
      std::vector<std::uint64_t> values(n * per_image);
      for (const Step& s : p.steps) {
        if (s.kind != StepKind::gather) {
          execute(cam, p, s);
          continue;
        }
        for (std::size_t i = 0; i < n; ++i)
          for (std::size_t pos = 0; pos < per_image; ++pos) {
            const int r = static_cast<int>(pos) / p.output.cols + s.dr, c = static_cast<int>(pos) % p.output.cols + s.dc;
            std::int64_t v = 0;  // zero padding
            if (r >= 0 && c >= 0 && r < pooled_rows && c < pooled_cols) {
              const std::size_t at = (static_cast<std::size_t>(s.channel) * p.input.rows + r * p.pool + s.pool_r) * p.input.cols +
                                     c * p.pool + s.pool_c;
              v = previous[i][at];
            }
            values[i * per_image + pos] = static_cast<std::uint64_t>(v);
          }
        cam.store_rows(columns_of(s.dst), values);
      }
      // Read the outputs out, channel-major per image as the next layer gathers them.
      std::vector<std::vector<std::int64_t>> next(n, std::vector<std::int64_t>(p.outputs.size() * per_image));
      for (std::size_t o = 0; o < p.outputs.size(); ++o) {
        cam.load_rows(columns_of(p.outputs[o]), values);
        for (std::size_t i = 0; i < n; ++i)
          for (std::size_t pos = 0; pos < per_image; ++pos)
            next[i][o * per_image + pos] = p.outputs[o].value_of(values[i * per_image + pos]);
      }
      if (&p == &compiled.layers.back()) {
        cam.load_rows(columns_of(p.prediction), values);
        for (std::size_t i = 0; i < n; ++i) {
          out.predictions[begin + i] = static_cast<int>(values[i]);
          out.logits[begin + i] = next[i];
        }
      }
      out.counts += cam.counts();
      previous = std::move(next);
    }
    ++out.batches;
    if (progress) progress(begin + n);
  }
  return out;
}

eval::Footprint ApClassifier::footprint() const {
  // With constants folded the weights are the program, not data: what is stored is the
  // thresholds (constants of the requantization patterns) and, per weight, 2 bits of
  // program memory, as for the integer network.
  eval::Footprint f;
  f.add("ap.program_weights", network_.weight_bytes());
  f.add("ap.thresholds", network_.threshold_bytes());
  return f;
}

void ApClassifier::classify(const ImageSet& images, std::span<int> predictions, eval::Ledger& ledger) {
  if (predictions.size() != images.count()) throw Error("AP: one prediction per image");
  last_ = run_network(compiled_, images, options_);
  std::copy(last_.predictions.begin(), last_.predictions.end(), predictions.begin());
  ledger += last_.counts.to_ledger();
  metrics_ = {{"program_passes", static_cast<double>(last_.program_passes)},
              {"batches", static_cast<double>(last_.batches)},
              {"images_per_batch", static_cast<double>(options_.batch)}};
}

}  // namespace mbi::ap
