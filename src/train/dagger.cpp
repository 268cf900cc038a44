#include <algorithm>
#include <atomic>
#include <string_view>
#include <thread>
#include <unordered_set>

#include "mbi/core/error.hpp"
#include "mbi/lookup/engine.hpp"
#include "mbi/lookup/table.hpp"
#include "mbi/search/observed_index.hpp"
#include "mbi/core/progress.hpp"
#include "mbi/lookup/quantize.hpp"
#include "mbi/lookup/ram_keys.hpp"
#include "mbi/train/distill.hpp"
#include "mbi/train/rollout.hpp"

namespace mbi::train {
namespace {

// The teacher's step from keys given as plain values (segment order) met at glimpse step
// `steps[k]`: h_t, the next location and the prediction, appended to `table` as rows.
void append_teacher_values(RamModel& model, const std::vector<std::uint8_t>& values,
                           const std::vector<std::uint8_t>& steps, TableData& table) {
  const RamConfig& c = model->config();
  const KeyLayout& keys = table.key_layout;
  const std::size_t width = keys.total_values();
  const std::size_t n = values.size() / width;
  const auto n_phi = static_cast<std::int64_t>(c.phi_size());
  const auto n_h = static_cast<std::int64_t>(c.hidden);
  torch::NoGradGuard no_grad;
  model->eval();
  const double h_steps = c.hidden_levels() - 1;
  std::vector<std::uint64_t> word(keys.words());
  std::vector<std::uint64_t> value_word(table.value_layout.words());
  constexpr std::size_t kBatch = 4096;
  for (std::size_t begin = 0; begin < n; begin += kBatch) {
    const std::size_t end = std::min(n, begin + kBatch);
    const auto b = static_cast<std::int64_t>(end - begin);
    torch::Tensor phi = torch::empty({b, n_phi});
    torch::Tensor loc = torch::empty({b, 2});
    torch::Tensor h_prev = torch::empty({b, n_h});
    for (std::int64_t i = 0; i < b; ++i) {
      const std::uint8_t* v = &values[(begin + static_cast<std::size_t>(i)) * width];
      for (std::int64_t k = 0; k < n_phi; ++k)
        phi[i][k] = dequantize_level(v[k], c.phi_lo, c.phi_hi, c.phi_levels());
      for (std::int64_t k = 0; k < n_h; ++k) h_prev[i][k] = static_cast<float>(v[n_phi + k] / h_steps);
      loc[i][0] = pixel_to_location(v[n_phi + n_h], c.image_cols);
      loc[i][1] = pixel_to_location(v[n_phi + n_h + 1], c.image_rows);
    }
    const torch::Tensor h = model->core_step(phi, loc, h_prev);
    const torch::Tensor mean = model->location_mean(h).contiguous();
    const torch::Tensor pred = model->classify(h).argmax(1).to(torch::kUInt8).contiguous();
    const torch::Tensor h_levels = torch::round(h.clamp(0.0, 1.0) * h_steps).to(torch::kUInt8).contiguous();
    const float* m = mean.data_ptr<float>();
    for (std::int64_t i = 0; i < b; ++i) {
      const std::uint8_t* v = &values[(begin + static_cast<std::size_t>(i)) * width];
      keys.encode({v, width}, word);
      table.keys.insert(table.keys.end(), word.begin(), word.end());
      table.value_layout.encode({h_levels.data_ptr<std::uint8_t>() + i * n_h, static_cast<std::size_t>(n_h)},
                                value_word);
      table.next_hidden.insert(table.next_hidden.end(), value_word.begin(), value_word.end());
      table.next_location.push_back(static_cast<std::uint8_t>(location_to_pixel(m[2 * i], c.image_cols)));
      table.next_location.push_back(static_cast<std::uint8_t>(location_to_pixel(m[2 * i + 1], c.image_rows)));
      table.step.push_back(steps[begin + static_cast<std::size_t>(i)]);
      table.prediction.push_back(pred.data_ptr<std::uint8_t>()[i]);
    }
  }
}

}  // namespace

void add_lookup_path_rows(RamModel& model, const ImageSet& images, TableData& table, const DaggerOptions& o,
                          DaggerStats* stats) {
  const RamConfig& c = model->config();
  const std::size_t width = table.key_layout.total_values();
  const std::size_t words = table.key_layout.words();
  if (o.noisy_rounds > 0 && !o.noisy_index) throw Error("DAgger: noisy rounds need an index to search");
  const int threads = std::max(1, o.threads > 0 ? o.threads : static_cast<int>(std::thread::hardware_concurrency()));
  for (int round = 0; round < o.rounds + o.noisy_rounds; ++round) {
    const bool noisy = round >= o.rounds;
    const ImageSet shifted = shifted_copy(images, o.augment_shift, o.seed * 7919 + static_cast<std::uint64_t>(round));
    KMeansTreeParams tree = o.tree;
    tree.threads = static_cast<std::uint32_t>(threads);  // the same tree on any count
    table.build_tree(tree, /*per_step=*/true);
    // Queries not matched exactly, with their step, per thread; a thread takes a contiguous
    // run of images, so joining the runs in order gives the single-threaded order.
    std::vector<std::vector<std::uint64_t>> queries(threads);
    std::vector<std::vector<std::uint8_t>> steps(threads);
    {
      // The table is searched where it is being built: nothing is written.
      const std::string label = std::string(noisy ? "noisy " : "") + "dagger round " + std::to_string(round + 1);
      const Table searched = Table::borrow(table, label);
      const std::unique_ptr<NearestIndex> device = noisy ? o.noisy_index(searched) : nullptr;
      const NearestIndex& index = noisy ? *device : searched.index();
      ProgressBar bar(label, shifted.count(), o.progress);
      std::atomic<std::size_t> done{0};
      auto work = [&](int t) {
        LookupEngine engine(searched, c);
        const ObservedIndex observed(index, [&](std::span<const std::uint64_t> q, int step, const SearchResult& r) {
          if (r.distance == 0) return;
          queries[t].insert(queries[t].end(), q.begin(), q.end());
          steps[t].push_back(static_cast<std::uint8_t>(step));
        });
        LookupOptions lo;
        if (noisy)
          lo.search = o.noisy_search;
        else
          lo.search.max_comparisons = o.max_comparisons;
        lo.index = &observed;
        const std::size_t n = shifted.count();
        const std::size_t begin = n * static_cast<std::size_t>(t) / threads;
        const std::size_t end = n * static_cast<std::size_t>(t + 1) / threads;
        for (std::size_t i = begin; i < end; ++i) {
          engine.infer(shifted.image(i), lo);
          ++done;
          if (t == 0 && i % 256 == 0) bar.update(done.load());
        }
      };
      std::vector<std::thread> pool;
      for (int t = 1; t < threads; ++t) pool.emplace_back(work, t);
      work(0);
      for (auto& th : pool) th.join();
      bar.update(shifted.count());
      bar.finish();
    }
    // Identical queries (and keys already stored) are kept once.
    std::unordered_set<std::string_view> seen;
    const auto* stored = reinterpret_cast<const char*>(table.keys.data());
    for (std::size_t r = 0; r < table.rows(); ++r) seen.emplace(stored + r * words * 8, words * 8);
    std::vector<std::uint8_t> fresh;
    std::vector<std::uint8_t> fresh_steps;
    std::vector<std::uint8_t> values(width);
    for (int t = 0; t < threads; ++t)
      for (std::size_t k = 0; k < steps[t].size(); ++k) {
        const std::uint64_t* key = &queries[t][k * words];
        if (!seen.emplace(reinterpret_cast<const char*>(key), words * 8).second) continue;
        table.key_layout.decode({key, words}, values);
        fresh.insert(fresh.end(), values.begin(), values.end());
        fresh_steps.push_back(steps[t][k]);
      }
    const std::size_t before = table.rows();
    table.tree.reset();
    append_teacher_values(model, fresh, fresh_steps, table);
    if (stats != nullptr) stats->rows_added.push_back(table.rows() - before);
  }
}

}  // namespace mbi::train
