#pragma once
// mbi::bo - Bayesian optimization of black-box metrics, with random and grid search as
// honest baselines behind the same interface. Include this for everything.
#include "mbi/bo/acquisition.hpp"
#include "mbi/bo/gaussian_process.hpp"
#include "mbi/bo/grid_search.hpp"
#include "mbi/bo/optimizer.hpp"
#include "mbi/bo/random_search.hpp"
#include "mbi/bo/searcher.hpp"
#include "mbi/bo/space.hpp"
#include "mbi/bo/test_functions.hpp"
