#include "mbi/experiment/crossbar_study.hpp"

#include <fmt/format.h>

#include <string>

#include "mbi/core/csv_table.hpp"
#include "mbi/core/error.hpp"
#include "mbi/ternary/reference.hpp"

namespace mbi::experiment {

io::ResultFiles crossbar_adc_study(const ternary::Network& network, const ImageSet& images,
                                   const cim::CrossbarConfig& base, const std::vector<int>& adc_bits,
                                   const eval::EnergyTable& energy, const eval::EvaluationInput& input,
                                   const eval::Provenance& provenance) {
  if (adc_bits.empty()) throw Error("crossbar ADC study: no ADC widths given");
  ternary::ReferenceClassifier reference(network);
  std::vector<int> reference_predictions;
  const eval::Report reference_report = eval::evaluate(reference, images, input, nullptr, provenance, &reference_predictions);
  io::ResultFiles out;
  CsvTable t({"adc_bits", "accuracy", "reference_accuracy", "logit_mismatches", "prediction_mismatches",
              "clipped_conversions_percent", "nj_per_image", "adc_nj_per_image", "latency_us_per_image", "unpriced_events"});
  nlohmann::json points = nlohmann::json::array();
  for (const int bits : adc_bits) {
    cim::CrossbarConfig config = base;
    config.adc_bits = bits;
    cim::CrossbarClassifier crossbar(network, config);
    std::vector<int> predictions;
    const eval::Report r = eval::evaluate(crossbar, images, input, &energy, provenance, &predictions);
    std::size_t logit_mismatches = 0, prediction_mismatches = 0;
    for (std::size_t i = 0; i < images.count(); ++i) {
      logit_mismatches += crossbar.last_logits()[i] != reference.last_logits()[i] ? 1 : 0;
      prediction_mismatches += predictions[i] != reference_predictions[i] ? 1 : 0;
    }
    const double clipped = r.metric("clipped_conversions_percent").value_or(0);
    double adc_joules = 0;
    std::string unpriced;
    for (const auto& [event, joules] : r.energy->joules_by_event)
      if (event.rfind("xbar.adc_conversion_", 0) == 0) adc_joules += joules;
    for (const std::string& u : r.energy->unpriced) unpriced += (unpriced.empty() ? "" : " ") + u;
    t.add({cell(static_cast<double>(bits)), cell(r.accuracy()), cell(reference_report.accuracy()),
           cell(logit_mismatches), cell(prediction_mismatches), cell(clipped), cell(r.energy->joules_per_image * 1e9),
           cell(adc_joules * 1e9), cell(r.energy->seconds_per_image * 1e6), unpriced});
    points.push_back({{"adc_bits", bits},
                      {"accuracy", r.accuracy()},
                      {"logit_mismatches", logit_mismatches},
                      {"prediction_mismatches", prediction_mismatches},
                      {"clipped_conversions_percent", clipped},
                      {"energy_nj_per_image", r.energy->joules_per_image * 1e9},
                      {"energy_complete", r.energy->complete()},
                      {"latency_seconds_per_image", r.energy->seconds_per_image},
                      {"unpriced", r.energy->unpriced}});
    out.notes.push_back(fmt::format("{}-bit ADCs: accuracy {:.2f} % (reference {:.2f} %), {} of {} images with other logits, "
                                    "{:.3f} % of conversions clipped, {:.1f} nJ per image{}",
                                    bits, r.accuracy(), reference_report.accuracy(), logit_mismatches, images.count(),
                                    clipped, r.energy->joules_per_image * 1e9,
                                    unpriced.empty() ? "" : " (unpriced: " + unpriced + ")"));
  }
  out.tables.emplace_back("crossbar_adc", t);
  out.plots.emplace_back("crossbar_adc",
                         "set datafile separator ','\nset title 'Crossbar baseline: accuracy and energy against ADC bits'\n"
                         "set xlabel 'ADC bits'\nset ylabel 'test accuracy (%)'\nset y2label 'nJ per image'\n"
                         "set ytics nomirror\nset y2tics\nset key below\nset xtics 1\n"
                         "plot 'crossbar_adc.csv' every ::1 using 1:2 with linespoints lw 2 title 'accuracy', "
                         "'' every ::1 using 1:3 with lines dt 2 title 'integer reference', "
                         "'' every ::1 using 1:7 axes x1y2 with linespoints title 'energy per image'\n");
  out.summary = {{"network", network.name},
                 {"images", images.count()},
                 {"reference_accuracy", reference_report.accuracy()},
                 {"rows", base.rows},
                 {"columns", base.columns},
                 {"dac_bits", base.dac_bits},
                 {"points", points}};
  return out;
}

}  // namespace mbi::experiment
