#pragma once
// One evaluation of one system on one image set, in the form every system reports through:
// accuracy, bytes stored, counted events, energy, time and where the numbers came from.
// io/report_json.hpp writes it as JSON and CSV.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "mbi/core/image_set.hpp"
#include "mbi/eval/classifier.hpp"
#include "mbi/eval/energy_table.hpp"
#include "mbi/eval/footprint.hpp"
#include "mbi/eval/ledger.hpp"

namespace mbi::eval {

// How to find the numbers again.
struct Provenance {
  std::string command;  // the command line, as typed
  std::string version;  // of mbi
  std::uint64_t seed = 0;
  std::vector<std::pair<std::string, std::string>> inputs;  // role -> file (model, table, data...)
};

struct Report {
  std::string system;
  std::string dataset;  // a name or the data folder
  std::string split;
  std::size_t images = 0;
  std::size_t correct = 0;
  Footprint footprint;
  Ledger events;                          // totals over the images
  std::optional<EnergyEstimate> energy;   // when an energy table was given
  double seconds = 0;                     // of classify() alone
  Provenance provenance;
  std::vector<std::pair<std::string, double>> metrics;  // the classifier's own figures

  double accuracy() const;  // percent of images predicted right (0 for no images)
  double images_per_second() const;
  // A metric by name, or nullopt.
  std::optional<double> metric(const std::string& name) const;
};

// What the report should say about the images: where they came from.
struct EvaluationInput {
  std::string dataset;
  std::string split;
};

// Classifies every image of `images` once, timed, and reports. With `energy`, the ledger is
// priced per image (events the table lacks are listed in energy->unpriced). With
// `predictions`, also hands back every image's predicted class (-1: no answer).
Report evaluate(Classifier& classifier, const ImageSet& images, const EvaluationInput& input,
                const EnergyTable* energy = nullptr, const Provenance& provenance = {},
                std::vector<int>* predictions = nullptr);

}  // namespace mbi::eval
