#include "mbi/train/distill.hpp"

#include <algorithm>
#include <numeric>
#include <random>
#include <string_view>
#include <unordered_set>

#include "mbi/core/error.hpp"
#include "mbi/core/progress.hpp"
#include "mbi/lookup/ram_keys.hpp"
#include "mbi/train/rollout.hpp"

namespace mbi::train {
namespace {

// Rows in recording order, before sampling and de-duplication.
struct Recorded {
  std::vector<std::uint64_t> keys;
  std::vector<std::uint64_t> next_hidden;
  std::vector<std::uint8_t> next_location;
  std::vector<std::uint8_t> step;
  std::vector<std::uint8_t> prediction;
};

void append(const StepRecord& r, const RamConfig& c, const KeyLayout& keys, const KeyLayout& values, Recorded& out) {
  const std::size_t b = r.prediction.size();
  const auto n_phi = static_cast<std::size_t>(c.phi_size());
  const auto n_h = static_cast<std::size_t>(c.hidden);
  std::vector<std::uint8_t> key_values(keys.total_values());
  std::vector<std::uint64_t> word(keys.words());
  std::vector<std::uint64_t> value_word(values.words());
  for (std::size_t i = 0; i < b; ++i) {
    ram_key_values(c, &r.phi[i * n_phi], &r.hidden_prev[i * n_h], r.loc[2 * i], r.loc[2 * i + 1], key_values.data());
    keys.encode(key_values, word);
    out.keys.insert(out.keys.end(), word.begin(), word.end());
    values.encode(std::span<const std::uint8_t>(&r.hidden_next[i * n_h], n_h), value_word);
    out.next_hidden.insert(out.next_hidden.end(), value_word.begin(), value_word.end());
    out.next_location.push_back(static_cast<std::uint8_t>(r.loc_next[2 * i]));
    out.next_location.push_back(static_cast<std::uint8_t>(r.loc_next[2 * i + 1]));
    out.step.push_back(static_cast<std::uint8_t>(r.step));
    out.prediction.push_back(r.prediction[i]);
  }
}

}  // namespace

TableData distill(RamModel& model, const ImageSet& images, const DistillOptions& o, DistillStats* stats) {
  const RamConfig& c = model->config();
  if (!(o.fraction > 0 && o.fraction <= 1)) throw Error("--fraction must be in (0, 1]");
  if (o.repeats < 1) throw Error("--repeats must be at least 1");
  if (c.image_cols > 255 || c.image_rows > 255) throw Error("tables store locations as bytes: images up to 255 px");
  TableData table;
  table.key_layout = ram_key_layout(c);
  table.value_layout = ram_value_layout(c);

  Recorded rec;
  torch::NoGradGuard no_grad;
  model->eval();
  std::vector<std::size_t> all(images.count());
  std::iota(all.begin(), all.end(), std::size_t{0});
  const std::size_t batches = (all.size() + static_cast<std::size_t>(o.batch) - 1) / static_cast<std::size_t>(o.batch);
  ProgressBar bar("distill", batches * static_cast<std::size_t>(o.repeats), o.progress);
  torch::manual_seed(o.seed);
  std::size_t done = 0;
  for (int repeat = 0; repeat < o.repeats; ++repeat) {
    const bool shifted = repeat > 0 && o.augment_shift > 0;
    const ImageSet copy =
        shifted ? shifted_copy(images, o.augment_shift, o.seed + static_cast<std::uint64_t>(repeat)) : ImageSet{};
    const ImageSet& source = shifted ? copy : images;
    for (std::size_t begin = 0; begin < all.size(); begin += static_cast<std::size_t>(o.batch)) {
      const std::size_t end = std::min(all.size(), begin + static_cast<std::size_t>(o.batch));
      const Batch batch = make_batch(source, all, begin, end, c);
      RolloutOptions ro;
      if (repeat > 0 && !shifted) ro.start = torch::rand({static_cast<std::int64_t>(end - begin), 2}) * 2.0 - 1.0;
      ro.record = [&](const StepRecord& r) { append(r, c, table.key_layout, table.value_layout, rec); };
      rollout(model, batch, ro);
      bar.update(++done);
    }
  }
  bar.finish();

  const std::size_t words = table.key_layout.words();
  const std::size_t value_words = table.value_layout.words();
  const std::size_t recorded = rec.step.size();
  // Seeded uniform sample of the recorded rows, kept in recording order.
  std::vector<std::size_t> order(recorded);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::size_t keep = recorded;
  if (o.fraction < 1 || (o.max_rows > 0 && o.max_rows < recorded)) {
    std::mt19937_64 rng(o.seed ^ 0xD1B54A32D192ED03ULL);
    for (std::size_t i = recorded; i > 1; --i) std::swap(order[i - 1], order[rng() % i]);
    keep = static_cast<std::size_t>(std::llround(static_cast<double>(recorded) * o.fraction));
    if (o.max_rows > 0) keep = std::min(keep, o.max_rows);
    order.resize(keep);
    std::sort(order.begin(), order.end());
  }
  std::unordered_set<std::string_view> seen;
  const auto* key_bytes = reinterpret_cast<const char*>(rec.keys.data());
  for (const std::size_t r : order) {
    if (o.dedup && !seen.emplace(key_bytes + r * words * 8, words * 8).second) continue;
    table.keys.insert(table.keys.end(), rec.keys.begin() + static_cast<std::ptrdiff_t>(r * words),
                      rec.keys.begin() + static_cast<std::ptrdiff_t>((r + 1) * words));
    table.next_hidden.insert(table.next_hidden.end(),
                             rec.next_hidden.begin() + static_cast<std::ptrdiff_t>(r * value_words),
                             rec.next_hidden.begin() + static_cast<std::ptrdiff_t>((r + 1) * value_words));
    table.next_location.push_back(rec.next_location[2 * r]);
    table.next_location.push_back(rec.next_location[2 * r + 1]);
    table.step.push_back(rec.step[r]);
    table.prediction.push_back(rec.prediction[r]);
  }
  if (stats != nullptr) {
    stats->images = images.count();
    stats->rows_recorded = recorded;
    stats->rows_sampled = keep;
    stats->rows_kept = table.rows();
  }
  return table;
}

}  // namespace mbi::train
