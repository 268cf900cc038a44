#include "mbi/train/rollout.hpp"

#include "mbi/lookup/quantize.hpp"

namespace mbi::train {
namespace {

constexpr double kLog2Pi = 1.8378770664093453;

// Glimpses of every image at its pixel location, quantised as the teacher sees them.
torch::Tensor take_glimpses(const Batch& batch, const RamConfig& c, const std::vector<int>& px,
                            const std::vector<int>& py, std::vector<std::uint8_t>* levels_out) {
  const auto geometry = GlimpseGeometry::from(c);
  const int n = geometry.size();
  const auto b = static_cast<std::int64_t>(batch.size());
  torch::Tensor phi = torch::empty({b, n}, torch::kFloat32);
  float* out = phi.data_ptr<float>();
  if (levels_out != nullptr) levels_out->resize(static_cast<std::size_t>(b) * n);
  const int levels = c.phi_levels();
  for (std::int64_t i = 0; i < b; ++i) {
    std::span<float> row(out + i * n, static_cast<std::size_t>(n));
    extract_glimpse(batch.images[static_cast<std::size_t>(i)], geometry, px[static_cast<std::size_t>(i)],
                    py[static_cast<std::size_t>(i)], row);
    if (levels == 0) continue;
    for (int k = 0; k < n; ++k) {
      const std::uint8_t q = quantize_level(row[static_cast<std::size_t>(k)], c.phi_lo, c.phi_hi, levels);
      if (levels_out != nullptr) (*levels_out)[static_cast<std::size_t>(i * n + k)] = q;
      row[static_cast<std::size_t>(k)] = dequantize_level(q, c.phi_lo, c.phi_hi, levels);
    }
  }
  return phi;
}

// Snaps locations [B, 2] in [-1, 1] to pixels; returns the locations the teacher sees.
torch::Tensor snap(const torch::Tensor& loc, const RamConfig& c, std::vector<int>& px, std::vector<int>& py) {
  const auto l = loc.detach().to(torch::kCPU).contiguous();
  const auto b = l.size(0);
  px.resize(static_cast<std::size_t>(b));
  py.resize(static_cast<std::size_t>(b));
  torch::Tensor seen = torch::empty({b, 2}, torch::kFloat32);
  const float* in = l.data_ptr<float>();
  float* out = seen.data_ptr<float>();
  for (std::int64_t i = 0; i < b; ++i) {
    const auto u = static_cast<std::size_t>(i);
    px[u] = location_to_pixel(in[2 * i], c.image_cols);
    py[u] = location_to_pixel(in[2 * i + 1], c.image_rows);
    out[2 * i] = pixel_to_location(px[u], c.image_cols);
    out[2 * i + 1] = pixel_to_location(py[u], c.image_rows);
  }
  return seen;
}

std::vector<std::uint8_t> hidden_levels(const torch::Tensor& h, const RamConfig& c) {
  const auto steps = static_cast<double>(std::max(c.hidden_levels(), 2) - 1);
  const auto q = torch::round(h.detach().clamp(0.0, 1.0) * steps).to(torch::kUInt8).to(torch::kCPU).contiguous();
  return {q.data_ptr<std::uint8_t>(), q.data_ptr<std::uint8_t>() + q.numel()};
}

}  // namespace

Batch make_batch(const ImageSet& set, const std::vector<std::size_t>& indices, std::size_t begin,
                 std::size_t end, const RamConfig& c, const std::vector<std::pair<int, int>>* shifts) {
  Batch batch;
  const std::size_t size = static_cast<std::size_t>(set.rows) * set.cols;
  std::vector<std::uint8_t> shifted(size);
  batch.images.resize(end - begin);
  std::vector<std::int64_t> labels(end - begin);
  for (std::size_t i = begin; i < end; ++i) {
    const std::uint8_t* pixels = set.image(indices[i]);
    std::span<const std::uint8_t> image(pixels, size);
    if (shifts != nullptr) {
      const auto [dx, dy] = (*shifts)[i - begin];
      for (int r = 0; r < set.rows; ++r)
        for (int col = 0; col < set.cols; ++col) {
          const int sr = r - dy;
          const int sc = col - dx;
          const bool inside = sr >= 0 && sr < set.rows && sc >= 0 && sc < set.cols;
          shifted[static_cast<std::size_t>(r * set.cols + col)] = inside ? pixels[sr * set.cols + sc] : 0;
        }
      image = shifted;
    }
    batch.images[i - begin].assign(image, set.rows, set.cols, c.norm_mean, c.norm_std);
    labels[i - begin] = set.labels[indices[i]];
  }
  batch.labels = torch::tensor(labels, torch::kInt64);
  return batch;
}

torch::Tensor start_locations(const RamConfig& c, std::int64_t n) {
  if (c.start == StartPolicy::kRandom) return torch::rand({n, 2}) * 2.0 - 1.0;
  return torch::tensor({c.start_x, c.start_y}).expand({n, 2}).clone();
}

RolloutOutput rollout(RamModel& model, const Batch& batch, const RolloutOptions& options) {
  const RamConfig& c = model->config();
  const auto b = static_cast<std::int64_t>(batch.size());
  const torch::Device device = model->parameters().front().device();
  torch::Tensor loc = options.start.defined() ? options.start : start_locations(c, b);
  torch::Tensor h = torch::zeros({b, c.hidden}, torch::TensorOptions().device(device));
  std::vector<int> px;
  std::vector<int> py;
  std::vector<torch::Tensor> log_pi;
  std::vector<torch::Tensor> baselines;
  const bool record = static_cast<bool>(options.record);
  const double inv_var = 1.0 / (static_cast<double>(c.policy_std) * c.policy_std);
  const double log_norm = std::log(static_cast<double>(c.policy_std)) + 0.5 * kLog2Pi;

  StepRecord rec;
  for (int t = 0; t < c.glimpses; ++t) {
    const torch::Tensor seen = snap(loc, c, px, py);
    const torch::Tensor phi = take_glimpses(batch, c, px, py, record ? &rec.phi : nullptr);
    if (record) {
      rec.step = t;
      rec.hidden_prev = hidden_levels(h, c);
      rec.loc.resize(static_cast<std::size_t>(2 * b));
      for (std::int64_t i = 0; i < b; ++i) {
        rec.loc[static_cast<std::size_t>(2 * i)] = static_cast<std::int16_t>(px[static_cast<std::size_t>(i)]);
        rec.loc[static_cast<std::size_t>(2 * i + 1)] = static_cast<std::int16_t>(py[static_cast<std::size_t>(i)]);
      }
    }
    h = model->core_step(phi.to(device), seen.to(device), h);
    const bool last = t + 1 == c.glimpses;
    if (!last || record) {
      const torch::Tensor mean = model->location_mean(h);
      torch::Tensor next = mean;
      if (options.sample && !last) {
        const torch::Tensor draw = options.noise.defined() ? options.noise[t] : torch::randn_like(mean);
        next = (mean + draw * c.policy_std).clamp(-1.0, 1.0).detach();
        // log N(next; mean, std) summed over both axes; gradient flows into the policy.
        const auto lp = -0.5 * (next - mean).pow(2) * inv_var - log_norm;
        log_pi.push_back(lp.sum(1));
        baselines.push_back(model->baseline(h));
      } else if (!last) {
        baselines.push_back(model->baseline(h));
        log_pi.push_back(torch::zeros({b}, torch::TensorOptions().device(device)));
      }
      loc = next.detach();
    }
    if (record) {
      rec.hidden_next = hidden_levels(h, c);
      std::vector<int> nx;
      std::vector<int> ny;
      snap(loc, c, nx, ny);
      rec.loc_next.resize(static_cast<std::size_t>(2 * b));
      for (std::int64_t i = 0; i < b; ++i) {
        rec.loc_next[static_cast<std::size_t>(2 * i)] = static_cast<std::int16_t>(nx[static_cast<std::size_t>(i)]);
        rec.loc_next[static_cast<std::size_t>(2 * i + 1)] = static_cast<std::int16_t>(ny[static_cast<std::size_t>(i)]);
      }
      const auto pred = model->classify(h).argmax(1).to(torch::kUInt8).contiguous();
      rec.prediction.assign(pred.data_ptr<std::uint8_t>(), pred.data_ptr<std::uint8_t>() + b);
      options.record(rec);
    }
  }
  RolloutOutput out;
  out.log_probs = model->classify(h);
  if (!log_pi.empty()) {
    out.log_pi = torch::stack(log_pi, 1);
    out.baselines = torch::stack(baselines, 1);
  }
  return out;
}

}  // namespace mbi::train
