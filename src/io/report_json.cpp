#include "mbi/io/report_json.hpp"

#include <string>

namespace mbi::io {

nlohmann::json report_to_json(const eval::Report& r) {
  const double n = r.images > 0 ? static_cast<double>(r.images) : 1.0;
  nlohmann::json by_kind = nlohmann::json::object();
  for (const auto& [kind, bytes] : r.footprint.bytes_by_kind) by_kind[kind] = bytes;
  nlohmann::json events = nlohmann::json::object();
  nlohmann::json per_image = nlohmann::json::object();
  for (const auto& [event, count] : r.events.events()) {
    events[event] = count;
    per_image[event] = static_cast<double>(count) / n;
  }
  nlohmann::json energy = nullptr;
  if (r.energy) {
    nlohmann::json by_event = nlohmann::json::object();
    for (const auto& [event, joules] : r.energy->joules_by_event) by_event[event] = joules;
    energy = {{"joules_per_image", r.energy->joules_per_image},
              {"nanojoules_per_image", r.energy->joules_per_image * 1e9},
              {"by_event", by_event},
              {"unpriced", r.energy->unpriced}};
    if (r.energy->timed) {
      nlohmann::json time_by_event = nlohmann::json::object();
      for (const auto& [event, seconds] : r.energy->seconds_by_event) time_by_event[event] = seconds;
      energy["seconds_per_image"] = r.energy->seconds_per_image;
      energy["seconds_by_event"] = time_by_event;
      energy["untimed"] = r.energy->untimed;
    }
  }
  nlohmann::json metrics = nlohmann::json::object();
  for (const auto& [name, value] : r.metrics) metrics[name] = value;
  nlohmann::json inputs = nlohmann::json::object();
  for (const auto& [role, file] : r.provenance.inputs) inputs[role] = file;
  return {{"system", r.system},
          {"dataset", r.dataset},
          {"split", r.split},
          {"images", r.images},
          {"correct", r.correct},
          {"accuracy", r.accuracy()},
          {"footprint", {{"total_bytes", r.footprint.total()}, {"by_kind", by_kind}}},
          {"events", events},
          {"events_per_image", per_image},
          {"energy", energy},
          {"seconds", r.seconds},
          {"images_per_second", r.images_per_second()},
          {"metrics", metrics},
          {"provenance",
           {{"command", r.provenance.command},
            {"version", r.provenance.version},
            {"seed", r.provenance.seed},
            {"inputs", inputs}}}};
}

CsvTable reports_table(std::span<const eval::Report> reports) {
  CsvTable t({"system", "dataset", "split", "images", "accuracy", "bytes", "energy_nj_per_image", "seconds",
              "images_per_second", "events_per_image"});
  for (const eval::Report& r : reports) {
    const double n = r.images > 0 ? static_cast<double>(r.images) : 1.0;
    std::string events;
    for (const auto& [event, count] : r.events.events())
      events += (events.empty() ? "" : ";") + event + "=" + cell(static_cast<double>(count) / n);
    t.add({r.system, r.dataset, r.split, cell(r.images), cell(r.accuracy()), cell(static_cast<std::size_t>(r.footprint.total())),
           r.energy ? cell(r.energy->joules_per_image * 1e9) : std::string(), cell(r.seconds),
           cell(r.images_per_second()), events});
  }
  return t;
}

}  // namespace mbi::io
