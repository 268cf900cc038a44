#include "mbi/experiment/crossbar_noise.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "mbi/core/csv_table.hpp"
#include "mbi/core/error.hpp"
#include "mbi/core/progress.hpp"
#include "mbi/core/spread.hpp"

namespace mbi::experiment {
namespace {

double accuracy(cim::CrossbarClassifier& crossbar, const ImageSet& images) {
  std::vector<int> predictions(images.count());
  eval::Ledger ledger;
  crossbar.classify(images, predictions, ledger);
  std::size_t correct = 0;
  for (std::size_t i = 0; i < images.count(); ++i) correct += predictions[i] == images.labels[i] ? 1 : 0;
  return images.count() ? 100.0 * static_cast<double>(correct) / static_cast<double>(images.count()) : 0.0;
}

}  // namespace

io::ResultFiles crossbar_pcm_study(const ternary::Network& network, const ImageSet& images,
                                   const CrossbarNoiseOptions& o) {
  if (o.seconds.empty() || o.seeds < 1) throw Error("crossbar PCM study: no times or no devices");
  for (const double t : o.seconds)
    if (!(t >= 0 && std::isfinite(t))) throw Error("crossbar PCM study: times must be finite and >= 0");
  cim::CrossbarClassifier ideal(network, o.crossbar);
  const double ideal_accuracy = accuracy(ideal, images);
  io::ResultFiles out;
  CsvTable t({"seconds", "compensation", "mean_accuracy", "stddev_accuracy", "min_accuracy", "max_accuracy",
              "ideal_accuracy", "devices"});
  nlohmann::json points = nlohmann::json::array();
  ProgressBar bar("PCM crossbars", o.seconds.size() * 2 * static_cast<std::size_t>(o.seeds), o.progress);
  std::size_t done = 0;
  for (const bool compensation : {false, true})
    for (const double seconds : o.seconds) {
      std::vector<double> accuracies;
      for (int d = 0; d < o.seeds; ++d) {
        cim::CrossbarClassifier crossbar(
            network, o.crossbar,
            cim::PcmCells{.pcm = o.pcm, .seconds = seconds, .drift_compensation = compensation, .seed = o.seed + static_cast<std::uint64_t>(d)});
        accuracies.push_back(accuracy(crossbar, images));
        bar.update(++done);
      }
      // The spread over devices: the sample standard deviation (0 for one device).
      const Spread spread = spread_of(accuracies);
      const double mean = spread.mean, stddev = spread.stddev;
      t.add({cell(seconds), compensation ? "1" : "0", cell(mean), cell(stddev), cell(spread.min), cell(spread.max), cell(ideal_accuracy),
             cell(static_cast<double>(o.seeds))});
      points.push_back({{"seconds", seconds},
                        {"compensation", compensation},
                        {"mean_accuracy", mean},
                        {"stddev_accuracy", stddev},
                        {"min_accuracy", spread.min},
                        {"max_accuracy", spread.max},
                        {"accuracies", accuracies}});
      out.notes.push_back(fmt::format("{:g} s after programming, {}: {:.2f} +- {:.2f} % over {} devices ({:.2f} to {:.2f}; "
                                      "ideal {:.2f} %)",
                                      seconds, compensation ? "drift compensated" : "uncompensated", mean, stddev, o.seeds,
                                      spread.min, spread.max, ideal_accuracy));
    }
  bar.finish();
  out.tables.emplace_back("crossbar_pcm", t);
  out.plots.emplace_back(
      "crossbar_pcm",
      "set datafile separator ','\nset title 'Ternary network on PCM crossbars: accuracy against time since programming'\n"
      "set logscale x\nset xrange [0.5:*]\nset xlabel 'seconds since programming'\nset ylabel 'test accuracy (%)'\n"
      "set key below\nplot 'crossbar_pcm.csv' every ::1 using ($2==0 ? $1 : 1/0):3:4 with yerrorlines title 'uncompensated', "
      "'' every ::1 using ($2==1 ? $1 : 1/0):3:4 with yerrorlines title 'global drift compensation', "
      "'' every ::1 using 1:7 with lines dt 2 title 'ideal crossbar'\n");
  out.summary = {{"network", network.name},
                 {"images", images.count()},
                 {"ideal_accuracy", ideal_accuracy},
                 {"devices", o.seeds},
                 {"seed", o.seed},
                 {"adc_bits", o.crossbar.adc_bits},
                 {"points", points}};
  return out;
}

}  // namespace mbi::experiment
