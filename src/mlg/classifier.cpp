#include "mbi/mlg/classifier.hpp"

#include <algorithm>
#include <cstddef>
#include <exception>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "mbi/core/error.hpp"

namespace mbi::mlg {
namespace {

std::uint64_t bytes_of(std::uint64_t bits) { return (bits + 7) / 8; }

}  // namespace

InSituClassifier::InSituClassifier(GeneratedNetwork network, InSituOptions options, int threads)
    : network_(std::move(network)), options_(options), threads_(threads) {
  network_.validate();
  if (options_.tile < 1) throw Error("in-situ classifier: tile " + std::to_string(options_.tile) + " (must be >= 1)");
  if (threads_ <= 0) threads_ = static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
}

eval::Footprint InSituClassifier::footprint() const {
  const GeneratedNetwork::Memory m = network_.memory();
  eval::Footprint f;
  f.add("mlg.basis", bytes_of(m.basis_bits));
  f.add("mlg.coefficients", bytes_of(m.coefficient_bits));
  f.add("mlg.mixing", bytes_of(m.mixing_bits));
  f.add("mlg.float_weights", bytes_of(m.full_weight_bits));
  f.add("mlg.norms", bytes_of(m.norm_bits));
  f.add("mlg.biases", bytes_of(m.bias_bits));
  return f;
}

void InSituClassifier::classify(const ImageSet& images, std::span<int> predictions, eval::Ledger& ledger) {
  const Shape& input = network_.input;
  if (images.rows != input.rows || images.cols != input.cols || input.channels != 1)
    throw Error("in-situ classifier: the network is made for " + std::to_string(input.channels) + "x" +
                std::to_string(input.rows) + "x" + std::to_string(input.cols) + " images, given 1x" +
                std::to_string(images.rows) + "x" + std::to_string(images.cols));
  if (predictions.size() != images.count())
    throw Error("in-situ classifier: " + std::to_string(predictions.size()) + " predictions for " +
                std::to_string(images.count()) + " images");
  const std::size_t count = images.count();
  // Each worker takes one contiguous chunk of the images and writes only its own predictions.
  auto classify_range = [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      const std::vector<float> logits = in_situ_logits(network_, images.image(i), options_);
      predictions[i] = static_cast<int>(std::max_element(logits.begin(), logits.end()) - logits.begin());
    }
  };
  const std::size_t workers = std::min<std::size_t>(static_cast<std::size_t>(threads_), count);
  if (workers <= 1) {
    classify_range(0, count);
  } else {
    const std::size_t chunk = (count + workers - 1) / workers;
    std::vector<std::exception_ptr> failures(workers);
    std::vector<std::thread> pool;
    pool.reserve(workers);
    for (std::size_t t = 0; t < workers; ++t) {
      const std::size_t begin = std::min(count, t * chunk), end = std::min(count, begin + chunk);
      pool.emplace_back([&, t, begin, end] {
        try {
          classify_range(begin, end);
        } catch (...) {
          failures[t] = std::current_exception();
        }
      });
    }
    for (std::thread& worker : pool) worker.join();
    for (const std::exception_ptr& failure : failures)
      if (failure) std::rethrow_exception(failure);
  }
  // The counts do not depend on the image: one inference's, times the images.
  const InSituCounts c = in_situ_counts(network_, options_);
  const std::uint64_t n = count;
  ledger.add("dram.read_byte", c.stored_bytes * n);
  ledger.add("mlg.generation_mac", (c.level1_macs + c.level2_macs) * n);
  ledger.add("mlg.buffer_byte", c.buffer_bytes * n);
  ledger.add("digital.mac", c.network_macs * n);
}

std::vector<std::pair<std::string, double>> InSituClassifier::metrics() const {
  const InSituCounts c = in_situ_counts(network_, options_);
  return {{"memory_ratio", network_.memory_ratio()},
          {"stored_bytes", static_cast<double>(c.stored_bytes)},
          {"float_bytes", static_cast<double>(bytes_of(network_.float_bits()))},
          {"generation_macs_per_image", static_cast<double>(c.level1_macs + c.level2_macs)},
          {"network_macs_per_image", static_cast<double>(c.network_macs)}};
}

}  // namespace mbi::mlg
