#pragma once
// An evaluation report (eval/report.hpp) as JSON, and reports side by side as CSV.
#include <nlohmann/json.hpp>

#include <span>

#include "mbi/core/csv_table.hpp"
#include "mbi/eval/report.hpp"

namespace mbi::io {

// {"system", "dataset", "split", "images", "correct", "accuracy", "footprint": {"total_bytes",
//  "by_kind"}, "events", "events_per_image", "energy": {"joules_per_image",
//  "nanojoules_per_image", "by_event", "unpriced"} or null, "seconds", "images_per_second",
//  "metrics", "provenance"}
nlohmann::json report_to_json(const eval::Report& report);

// One row per report: system, dataset, split, images, accuracy, bytes, energy per image (nJ,
// empty when not priced), seconds, images/s, and the events per image as "event=count;...".
CsvTable reports_table(std::span<const eval::Report> reports);

}  // namespace mbi::io
