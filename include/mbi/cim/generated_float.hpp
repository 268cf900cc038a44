#pragma once
// A generated network (issue 16, mlg/generated_network.hpp) as the float network its stored
// bases generate: every weight generated whole, batch norms folded into the convolution before
// them, so that the analog crossbar (analog_crossbar.hpp) maps a generated network onto PCM as
// it maps any trained float network. What reaches the devices are the generated weights (a
// crossbar holds every weight; the bases' memory saving is on the digital side). Standard
// library only.
#include "mbi/cim/float_network.hpp"
#include "mbi/mlg/generated_network.hpp"

namespace mbi::cim {

// Convolutions (square kernels, stride 1), dense layers (a convolution whose kernel covers its
// whole input without padding), batch norms right after a convolution, ReLUs right after a
// convolution or its batch norm, and max pools. Throws mbi::Error naming the op that the
// crossbar does not run (a residual block's save/add, a global average pool, a strided or
// non-square convolution) or that cannot be folded.
FloatNetwork float_network_from_generated(const mlg::GeneratedNetwork& network);

}  // namespace mbi::cim
