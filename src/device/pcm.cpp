#include "mbi/device/pcm.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "mbi/core/error.hpp"

namespace mbi::device {
namespace {

void require(bool ok, const char* name, const std::string& why) {
  if (!ok) throw Error(std::string("PCM model: ") + name + " " + why);
}

}  // namespace

void PcmParameters::validate() const {
  const auto finite = [](double v) { return std::isfinite(v); };
  require(finite(g_max) && g_max > 0, "g_max", "must be a positive number of uS");
  for (const double v : {programming_c0, programming_c1, programming_c2, drift_mu_slope, drift_mu_offset,
                         drift_sigma_slope, drift_sigma_offset, read_q_scale, read_q_exponent})
    require(finite(v), "parameters", "must be finite numbers");
  require(finite(drift_mu_min) && finite(drift_mu_max) && 0 <= drift_mu_min && drift_mu_min <= drift_mu_max,
          "drift_mu_min/max", "must satisfy 0 <= min <= max");
  require(finite(drift_sigma_min) && finite(drift_sigma_max) && 0 <= drift_sigma_min && drift_sigma_min <= drift_sigma_max,
          "drift_sigma_min/max", "must satisfy 0 <= min <= max");
  require(finite(t0) && t0 > 0, "t0", "must be a positive number of seconds");
  require(finite(t_read) && t_read > 0, "t_read", "must be a positive number of seconds");
  require(finite(read_q_floor) && read_q_floor > 0, "read_q_floor", "must be positive");
  require(finite(read_q_max) && read_q_max >= 0, "read_q_max", "must be >= 0");
}

PcmModel::PcmModel(const PcmParameters& parameters) : p_(parameters) { p_.validate(); }

double PcmModel::relative(double g) const { return std::max(g / p_.g_max, 1e-7); }

double PcmModel::programming_sigma(double target) const {
  const double x = target / p_.g_max;
  return std::max(0.0, (p_.programming_c0 + p_.programming_c1 * x + p_.programming_c2 * x * x) * p_.g_max / 25.0);
}

double PcmModel::drift_nu_mu(double target) const {
  return std::clamp(p_.drift_mu_slope * std::log(relative(target)) + p_.drift_mu_offset, p_.drift_mu_min, p_.drift_mu_max);
}

double PcmModel::drift_nu_sigma(double target) const {
  return std::clamp(p_.drift_sigma_slope * std::log(relative(target)) + p_.drift_sigma_offset, p_.drift_sigma_min,
                    p_.drift_sigma_max);
}

PcmCell PcmModel::program(double target, Random& random) const {
  const double programming_normal = random.normal();
  const double drift_normal = random.normal();
  return program(target, programming_normal, drift_normal);
}

PcmCell PcmModel::program(double target, double programming_normal, double drift_normal) const {
  if (!(target >= 0 && target <= p_.g_max))
    throw Error("PCM model: target conductance " + std::to_string(target) + " uS outside 0.." + std::to_string(p_.g_max));
  PcmCell cell;
  cell.target = target;
  cell.programmed = std::max(target + programming_sigma(target) * programming_normal, 0.0);
  cell.nu = std::abs(drift_nu_mu(target) + drift_nu_sigma(target) * drift_normal);
  return cell;
}

double PcmModel::drifted(const PcmCell& cell, double seconds) const {
  return cell.programmed * std::pow((seconds + p_.t0) / p_.t0, -cell.nu);
}

double PcmModel::read_sigma(const PcmCell& cell, double seconds) const {
  const double x = std::max(cell.programmed / p_.g_max, 0.0);
  const double q = std::min(p_.read_q_scale / std::max(std::pow(x, p_.read_q_exponent), p_.read_q_floor), p_.read_q_max);
  const double t = seconds + p_.t0;
  return std::abs(drifted(cell, seconds)) * q * std::sqrt(std::log((t + p_.t_read) / (2 * p_.t_read)));
}

double PcmModel::read(const PcmCell& cell, double seconds, Random& random) const {
  return std::max(drifted(cell, seconds) + read_sigma(cell, seconds) * random.normal(), 0.0);
}

double PcmModel::drift_compensation(const std::vector<PcmCell>& cells, double seconds, Random& random) const {
  double programmed = 0, now = 0;
  for (const PcmCell& c : cells) {
    programmed += c.programmed;
    now += read(c, seconds, random);
  }
  return now > 0 ? programmed / now : 1.0;
}

}  // namespace mbi::device
