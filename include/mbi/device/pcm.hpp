#pragma once
// Phase-change memory (PCM) conductances as IBM's aihwkit models them (its PCMLikeNoiseModel,
// calibrated on real devices by Joshi et al., Nature Communications 2020): what a weight
// programmed into a PCM cell reads back, right after programming and days later.
//
//   x = g_target / g_max (clamped to >= 1e-7 where a logarithm needs it)
//   programming:  g_prog = max(g_target + sigma_prog N(0,1), 0),
//                 sigma_prog = (c0 + c1 x + c2 x^2) g_max / 25 uS
//   drift:        nu = |N(mu_nu, sigma_nu)| per cell,
//                 mu_nu = clip(-0.0155 ln x + 0.0244, 0.049, 0.1),
//                 sigma_nu = clip(-0.0125 ln x - 0.0059, 0.008, 0.045),
//                 g_drift(t) = g_prog ((t + t0) / t0)^(-nu)
//   1/f read noise per read:
//                 Q = min(0.0088 / max(x_prog^0.65, 1e-3), 0.2), x_prog = g_prog / g_max,
//                 sigma_read = g_drift Q sqrt(ln((t + t0 + t_read) / (2 t_read))),
//                 g(t) = max(g_drift + sigma_read N(0,1), 0)
// t is the time since programming (aihwkit's t_inference); t0 = 20 s; t_read = 250 ns. The
// read noise's Q takes the programmed conductance, as aihwkit's code does (its documentation
// writes the target). Every constant is a parameter, read from configs/device/pcm_aihwkit.json.
#include <vector>

#include "mbi/core/random.hpp"

namespace mbi::device {

struct PcmParameters {
  double g_max = 25.0;  // uS
  double programming_c0 = 0.26348, programming_c1 = 1.9650, programming_c2 = -1.1731;  // uS at g_max 25
  double drift_mu_slope = -0.0155, drift_mu_offset = 0.0244, drift_mu_min = 0.049, drift_mu_max = 0.1;
  double drift_sigma_slope = -0.0125, drift_sigma_offset = -0.0059, drift_sigma_min = 0.008, drift_sigma_max = 0.045;
  double t0 = 20.0;        // s
  double read_q_scale = 0.0088, read_q_exponent = 0.65, read_q_floor = 1e-3, read_q_max = 0.2;
  double t_read = 250e-9;  // s
  // Throws mbi::Error naming the parameter that is out of range.
  void validate() const;
};

// One programmed cell: what it was asked to hold, what it holds, and how fast it drifts.
struct PcmCell {
  double target = 0;      // uS
  double programmed = 0;  // uS, right after programming
  double nu = 0;          // drift exponent
};

class PcmModel {
 public:
  explicit PcmModel(const PcmParameters& parameters);
  const PcmParameters& parameters() const { return p_; }

  // Programs one cell to `target` (0..g_max uS).
  PcmCell program(double target, Random& random) const;
  // The same with the two standard normals given (programming, drift exponent): for
  // simulators that draw them from a counter-based stream per device instead of keeping
  // every cell (hw::ArrayDistanceModel's PCM keys). program(target, random) calls this.
  PcmCell program(double target, double programming_normal, double drift_normal) const;
  // The drifted conductance, noise-free, `seconds` after programming.
  double drifted(const PcmCell& cell, double seconds) const;
  // One read `seconds` after programming: drift plus 1/f read noise.
  double read(const PcmCell& cell, double seconds, Random& random) const;

  // The formulas' statistics, for tests and plots.
  double programming_sigma(double target) const;
  double drift_nu_mu(double target) const;
  double drift_nu_sigma(double target) const;
  double read_sigma(const PcmCell& cell, double seconds) const;

  // aihwkit's global drift compensation: one read of every cell with all inputs at one,
  // compared with the programmed sum; the factor that rescales outputs read `seconds` after
  // programming (1 when nothing is stored).
  double drift_compensation(const std::vector<PcmCell>& cells, double seconds, Random& random) const;

 private:
  double relative(double g) const;  // g / g_max, clamped to >= 1e-7
  PcmParameters p_;
};

}  // namespace mbi::device
