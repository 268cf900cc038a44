// PYBIND11_MODULE: mbi.Error, then every binding (bindings.hpp).
#include <pybind11/pybind11.h>

#include "bindings.hpp"
#include "mbi/core/error.hpp"

PYBIND11_MODULE(_mbi, m) {
  m.doc() = "mbi's libraries from Python: lookup tables, nearest-key search, lookup inference, "
            "evaluation reports, the search array's energy, Bayesian optimisation and generated networks.";
  // A ValueError, so that `except ValueError` catches bad input as Python users expect; the
  // message is the C++ one, one line naming the file or argument.
  pybind11::register_exception<mbi::Error>(m, "Error", PyExc_ValueError);
  mbi::python::bind_data(m);
  mbi::python::bind_table(m);
  mbi::python::bind_lookup(m);
  mbi::python::bind_hw(m);
  mbi::python::bind_bo(m);
  mbi::python::bind_mlg(m);
}
