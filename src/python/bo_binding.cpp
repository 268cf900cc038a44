// mbi.maximize / mbi.minimize: Bayesian optimisation (and its random and grid peers) of a
// Python callable, through the same searchers `mbi tune` uses.
#include <pybind11/functional.h>
#include <pybind11/stl.h>

#include <memory>

#include "bindings.hpp"
#include "mbi/bo/bo.hpp"
#include "mbi/core/error.hpp"

namespace mbi::python {

namespace {

std::unique_ptr<bo::Searcher> make_searcher(const std::string& method, const bo::Space& space, int budget,
                                            std::uint64_t seed, int initial_random) {
  if (method == "bo") return std::make_unique<bo::Optimizer>(space, bo::Options{.seed = seed, .initial_random = initial_random});
  if (method == "random") return std::make_unique<bo::RandomSearch>(space, seed);
  if (method == "grid") return std::make_unique<bo::GridSearch>(space, budget, seed);
  throw Error("method: must be 'bo', 'random' or 'grid', not '" + method + "'");
}

py::dict run(const py::function& f, const std::vector<bo::Dimension>& dimensions, int budget, const std::string& method,
             std::uint64_t seed, int initial_random, bool maximise) {
  if (budget < 1) throw Error("budget: must be at least 1");
  if (initial_random < 1) throw Error("initial_random: must be at least 1");
  const bo::Space space(dimensions);
  auto searcher = make_searcher(method, space, budget, seed, initial_random);
  // The objective calls back into Python with the GIL held (it is never released here): a
  // Python exception in f propagates out of the loop as itself.
  const bo::Objective objective = [&f](const std::vector<double>& x) { return f(x).cast<double>(); };
  const bo::Result result = maximise ? bo::maximize(objective, *searcher, budget) : bo::minimize(objective, *searcher, budget);
  py::list trials;
  for (const bo::Trial& t : result.trials) {
    py::dict trial;
    trial["x"] = t.x;
    trial["y"] = t.y;
    trial["best_y"] = t.best_y;
    trials.append(trial);
  }
  py::dict out;
  out["best_x"] = result.best_x;
  out["best_y"] = result.best_y;
  out["trials"] = trials;
  return out;
}

}  // namespace

void bind_bo(py::module_& m) {
  py::class_<bo::Dimension>(m, "Dimension", "One parameter of a search space.")
      .def(py::init([](std::string name, double lower, double upper, bool log_scale, bool integer) {
             return bo::Dimension{std::move(name), lower, upper, log_scale, integer};
           }),
           py::arg("name"), py::arg("lower"), py::arg("upper"), py::arg("log_scale") = false,
           py::arg("integer") = false)
      .def_readonly("name", &bo::Dimension::name)
      .def_readonly("lower", &bo::Dimension::lower)
      .def_readonly("upper", &bo::Dimension::upper)
      .def_readonly("log_scale", &bo::Dimension::log_scale)
      .def_readonly("integer", &bo::Dimension::integer)
      .def("__repr__", [](const bo::Dimension& d) {
        return "Dimension('" + d.name + "', " + std::to_string(d.lower) + ", " + std::to_string(d.upper) +
               (d.log_scale ? ", log_scale=True" : "") + (d.integer ? ", integer=True" : "") + ")";
      });
  const char* doc = R"doc(%s f (a callable taking a list of floats, returning a float) over the box
`dimensions` (a list of mbi.Dimension) in `budget` evaluations.

method: "bo" (Gaussian-process Bayesian optimisation with expected improvement and restarts,
as `mbi tune`), "random" or "grid". The same seed and f give the same trials.
Returns a dict: best_x, best_y, trials (each x, y, best_y so far), in evaluation order.)doc";
  for (const bool maximise : {true, false})
    m.def(
        maximise ? "maximize" : "minimize",
        [maximise](const py::function& f, const std::vector<bo::Dimension>& dims, int budget, const std::string& method,
                   std::uint64_t seed, int initial_random) {
          return run(f, dims, budget, method, seed, initial_random, maximise);
        },
        py::arg("f"), py::arg("dimensions"), py::arg("budget"), py::arg("method") = "bo", py::arg("seed") = 0,
        py::arg("initial_random") = 5, ((maximise ? "Maximises" : "Minimises") + std::string(doc).substr(2)).c_str());
}

}  // namespace mbi::python
